module denialops.local/bench/loadgen

go 1.22
