// Command loadgen is the HTTP load of the stack benchmark (bench/stack_bench.py), apart from it so
// that the load costs the 2-core machine little CPU: one process, a bounded connection pool, letters
// encoded once, and as little work per request as the case flow allows.
//
// A case: POST /api/v1/cases, POST the letter to /api/v1/cases/{id}/documents, then read
// GET /api/v1/cases/{id}/events (SSE) until `end`; ok when the last `task` event said "succeeded".
//
// It takes commands on stdin, one JSON object a line, and writes JSON lines on stdout:
//
//	{"op": "closed", "concurrency": 16}   clients that start their next case when the last one ended
//	{"op": "stop"}                        the clients start no new case; once in-flight ones ended: drained
//	{"op": "open", "rate": 20, "count": 120}  arrivals on a fixed schedule; once all ended: drained
//
//	{"type": "sample", "seconds": 0.41, "outcome": "ok" | "failed" | "timeout", "reason": "..."}
//	{"type": "drained"}
//
// An open-loop case's seconds count from its scheduled arrival. Reasons are short and carry no
// content ("create: http 503", "run failed"). The bearer token comes from LOADGEN_TOKEN (not argv).
// Loopback only: it refuses a URL whose host is not 127.0.0.1, ::1 or localhost.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type letter struct {
	body        []byte
	contentType string
}

type command struct {
	Op          string  `json:"op"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	Count       int     `json:"count"`
}

type sample struct {
	Type    string  `json:"type"`
	Seconds float64 `json:"seconds,omitempty"`
	Outcome string  `json:"outcome,omitempty"`
	Reason  string  `json:"reason,omitempty"`
}

type loader struct {
	client  *http.Client
	base    string
	token   string
	letters []letter
	next    atomic.Uint64
	timeout time.Duration
	out     chan sample
}

var createBody = []byte(`{"mode":"fast"}`)

func main() {
	base := flag.String("url", "", "intake's base URL (loopback)")
	letters := flag.String("letters", "", "directory of the sample letters (*.txt)")
	timeout := flag.Duration("timeout", 30*time.Second, "a case not finished by then timed out")
	maxConns := flag.Int("max-conns", 256, "connections to intake at most (the pool's bound)")
	flag.Parse()
	if err := run(*base, *letters, *timeout, *maxConns); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(base, dir string, timeout time.Duration, maxConns int) error {
	parsed, err := url.Parse(base)
	if err != nil {
		return err
	}
	if host := parsed.Hostname(); host != "127.0.0.1" && host != "::1" && host != "localhost" {
		return fmt.Errorf("refusing a non-loopback URL %q", base)
	}
	loaded, err := loadLetters(dir)
	if err != nil {
		return err
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxConnsPerHost:     maxConns,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	l := &loader{
		client:  &http.Client{Transport: transport},
		base:    strings.TrimRight(base, "/"),
		token:   os.Getenv("LOADGEN_TOKEN"),
		letters: loaded,
		timeout: timeout,
		out:     make(chan sample, 4096),
	}
	done := make(chan struct{})
	go l.write(done)
	err = l.serve(os.Stdin)
	close(l.out)
	<-done
	return err
}

// loadLetters encodes each letter's upload body once (multipart: file + doc_type).
func loadLetters(dir string) ([]letter, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.txt letters in %q", dir)
	}
	out := make([]letter, 0, len(paths))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		form := multipart.NewWriter(&buf)
		header := textproto.MIMEHeader{}
		header.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filepath.Base(path)))
		header.Set("Content-Type", "text/plain")
		part, err := form.CreatePart(header)
		if err != nil {
			return nil, err
		}
		part.Write(data)
		if err := form.WriteField("doc_type", "denial_letter"); err != nil {
			return nil, err
		}
		if err := form.Close(); err != nil {
			return nil, err
		}
		out = append(out, letter{buf.Bytes(), form.FormDataContentType()})
	}
	return out, nil
}

func (l *loader) write(done chan<- struct{}) {
	defer close(done)
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for s := range l.out {
		enc.Encode(s)
		if len(l.out) == 0 { // flush when caught up: few writes under load, no sample left waiting
			w.Flush()
		}
	}
	w.Flush()
}

func (l *loader) serve(in io.Reader) error {
	scanner := bufio.NewScanner(in)
	var stop chan struct{}
	var clients sync.WaitGroup
	for scanner.Scan() {
		var cmd command
		if err := json.Unmarshal(scanner.Bytes(), &cmd); err != nil {
			return fmt.Errorf("bad command: %w", err)
		}
		switch cmd.Op {
		case "closed":
			if stop != nil {
				return errors.New("a closed loop is already running")
			}
			stop = make(chan struct{})
			for i := 0; i < cmd.Concurrency; i++ {
				clients.Add(1)
				go l.closedClient(stop, &clients)
			}
		case "stop":
			if stop != nil {
				close(stop)
				clients.Wait()
				stop = nil
			}
			l.out <- sample{Type: "drained"}
		case "open":
			if cmd.Rate <= 0 || cmd.Count < 1 {
				return errors.New("open needs a positive rate and count")
			}
			l.openLoop(cmd.Rate, cmd.Count)
			l.out <- sample{Type: "drained"}
		default:
			return fmt.Errorf("unknown op %q", cmd.Op)
		}
	}
	if stop != nil {
		close(stop)
		clients.Wait()
	}
	return scanner.Err()
}

func (l *loader) closedClient(stop <-chan struct{}, clients *sync.WaitGroup) {
	defer clients.Done()
	for {
		select {
		case <-stop:
			return
		default:
		}
		l.timed(time.Now())
	}
}

func (l *loader) openLoop(rate float64, count int) {
	var cases sync.WaitGroup
	start := time.Now()
	for i := 0; i < count; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		time.Sleep(time.Until(at))
		cases.Add(1)
		go func() {
			defer cases.Done()
			l.timed(at)
		}()
	}
	cases.Wait()
}

// timed runs one case and reports it, its seconds counted from `since`.
func (l *loader) timed(since time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	reason := l.runCase(ctx)
	s := sample{Type: "sample", Seconds: time.Since(since).Seconds(), Outcome: "ok"}
	switch {
	case reason == "":
	case ctx.Err() != nil:
		s.Outcome, s.Reason = "timeout", "TimeoutError"
	default:
		s.Outcome, s.Reason = "failed", reason
	}
	l.out <- s
}

func (l *loader) request(ctx context.Context, method, path string, body []byte, contentType string) (*http.Response, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, reader)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	return l.client.Do(req)
}

// runCase returns "" when the case's run succeeded, else a short reason.
func (l *loader) runCase(ctx context.Context) string {
	resp, err := l.request(ctx, http.MethodPost, "/api/v1/cases", createBody, "application/json")
	if err != nil {
		return "create: " + kind(err)
	}
	var created struct {
		CaseID string `json:"case_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	drain(resp)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Sprintf("create: http %d", resp.StatusCode)
	}
	if err != nil || created.CaseID == "" {
		return "create: no case_id"
	}
	doc := l.letters[(l.next.Add(1)-1)%uint64(len(l.letters))]
	resp, err = l.request(ctx, http.MethodPost, "/api/v1/cases/"+url.PathEscape(created.CaseID)+"/documents", doc.body, doc.contentType)
	if err != nil {
		return "upload: " + kind(err)
	}
	drain(resp)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Sprintf("upload: http %d", resp.StatusCode)
	}
	resp, err = l.request(ctx, http.MethodGet, "/api/v1/cases/"+url.PathEscape(created.CaseID)+"/events", nil, "")
	if err != nil {
		return "events: " + kind(err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("events: http %d", resp.StatusCode)
	}
	return followEvents(resp.Body)
}

// followEvents reads an SSE stream until `end`: "" when the last `task` event's status is "succeeded".
func followEvents(body io.Reader) string {
	lines := bufio.NewScanner(body)
	lines.Buffer(make([]byte, 0, 16*1024), 1<<20)
	event := ""
	var lastTask []byte
	for lines.Scan() {
		line := lines.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")) && event == "task":
			lastTask = append(lastTask[:0], line[len("data:"):]...)
		case bytes.HasPrefix(line, []byte("data:")) && event == "end":
			var task struct {
				Status string `json:"status"`
			}
			if lastTask != nil {
				if err := json.Unmarshal(lastTask, &task); err != nil {
					return "events: bad task data"
				}
			}
			if task.Status == "succeeded" {
				return ""
			}
			if task.Status == "" {
				return "run None"
			}
			return "run " + task.Status
		}
	}
	if err := lines.Err(); err != nil {
		return "events: " + kind(err)
	}
	return "events: stream ended without `end`"
}

// kind names a transport error without its details (no URL, no content).
func kind(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "TimeoutError"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "TimeoutError"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "ReadError"
	default:
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			return opErr.Op + " error"
		}
		return "transport error"
	}
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}
