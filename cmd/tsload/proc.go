package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The processes tsload measures: started, watched (RSS, CPU time) and
// stopped.

// proc is a server process under measurement.
type proc struct {
	cmd  *exec.Cmd
	addr string
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// rssMB reads the process's resident memory.
func (p *proc) rssMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

// cpuSeconds reads the user and system time the process has used.
func (p *proc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	return parseCPUSeconds(string(b))
}

// parseCPUSeconds reads utime and stime, in clock ticks of 1/100 s, from
// a /proc/<pid>/stat line; the command name may hold spaces, so fields are
// counted from its closing parenthesis.
func parseCPUSeconds(stat string) float64 {
	f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(f) < 13 {
		return -1
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

// stolen reads, from /proc/stat, the CPU time of this machine so far and
// the part of it the hypervisor gave to other guests (steal), in ticks.
func stolen() (total, steal float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal; guest time is in user
			total += n
		}
		if i == 7 {
			steal = n
		}
	}
	return total, steal
}

// startTssim starts tssim on a free port and returns once /_sim/health
// answers, with the time that took.
func startTssim(bin string, args ...string) (*proc, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	return startTssimAt(bin, addr, args...)
}

// startTssimAt is startTssim on a given address.
func startTssimAt(bin, addr string, args ...string) (*proc, time.Duration, error) {
	cmd := exec.Command(bin, append([]string{"--addr", addr, "--log-format", "text"}, args...)...)
	cmd.Stdout, cmd.Stderr = nil, nil // /dev/null: tssim writes its logs as it would to a file
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, addr: addr}
	c := &http.Client{Timeout: time.Second}
	for time.Since(start) < 60*time.Second {
		resp, err := c.Get("http://" + addr + "/_sim/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, time.Since(start), nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.stop()
	return nil, 0, fmt.Errorf("%s did not become healthy", bin)
}

func startBaseline() (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "baseline")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, err
	}
	return &proc{cmd: cmd, addr: strings.TrimSpace(addr)}, nil
}
