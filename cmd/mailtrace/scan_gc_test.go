package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// gcSetting reads the collector's GOGC and memory limit without setting
// them.
func gcSetting() (percent int64, limit int64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}

// A scan collects at a fixed heap size while little is live, and falls
// back to GOGC=400 once a collection finds more than scanLiveMax live.
func TestScanGCFallback(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1) // -1: read only
	defer func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}()
	scanGC()
	runtime.GC()
	if p, l := gcSetting(); l != scanHeapLimit {
		t.Fatalf("with little live: GOGC %d, limit %d", p, l)
	}
	live := make([]byte, scanLiveMax+1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		if p, l := gcSetting(); p == scanGCPercent && l == math.MaxInt64 {
			break
		}
		if time.Now().After(deadline) {
			p, l := gcSetting()
			t.Fatalf("with %d MB live: GOGC %d, limit %d", len(live)>>20, p, l)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
}
