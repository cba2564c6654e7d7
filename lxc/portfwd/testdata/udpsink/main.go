// Command udpsink is a test stand-in for a VM's SNMP agent: it listens on
// UDP port os.Args[1] and appends every datagram to the file os.Args[2].
// Built static (CGO_ENABLED=0) and copied into a busybox container, whose
// busybox has no UDP server.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: udpsink PORT FILE")
		os.Exit(2)
	}
	c, err := net.ListenPacket("udp4", ":"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		f, err := os.OpenFile(os.Args[2], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			os.Exit(1)
		}
		_, _ = fmt.Fprintf(f, "%s from %s\n", buf[:n], from)
		_ = f.Close()
	}
}
