from denialops_health.main import main

main()
