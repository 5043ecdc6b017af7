package devserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// ports are the TCP ports of one server, all on the same loopback IP.
type ports struct {
	frontend, history, matching, worker int
}

// choosePorts picks a free port for every service whose port is not given,
// by listening on port 0, and checks that the given ones are free. All the
// listeners stay open until every port is known, so no port is picked twice;
// another process can still take one before the server binds it, which the
// server reports as a start-up error.
func choosePorts(ip string, frontend, ui int) (ports, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	listen := func(port int) (int, error) {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return 0, err
		}
		listeners = append(listeners, l)
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return 0, errors.New("listener has no TCP address")
		}
		return addr.Port, nil
	}
	var p ports
	var err error
	if p.frontend, err = listen(frontend); err != nil {
		return p, fmt.Errorf("frontend port: %w", err)
	}
	if ui > 0 {
		if _, err := listen(ui); err != nil {
			return p, fmt.Errorf("UI port: %w", err)
		}
	}
	for _, port := range []*int{&p.history, &p.matching, &p.worker} {
		if *port, err = listen(0); err != nil {
			return p, fmt.Errorf("choose a free port: %w", err)
		}
	}
	return p, nil
}
