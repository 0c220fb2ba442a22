"""Raw TCP clients for tests/e2e_peer_attacks_test.ts, run with setpriv as another uid.

The attacker (uid 65534) and the person's browser (uid 1000) of the peer check's attacks:
sockets bound to chosen addresses and ports, closed at once or read to the end, and an
HTTP/1.1 browser that can hold its connection open while the attacker acts. Python, because
neither Deno nor a shell can bind a connecting socket to a chosen source address and port.

Usage: python3 peer_client.py MODE 'JSON'; prints one JSON line (the browser in hold mode
prints one more first: {"held": "ADDR:PORT"}, then waits for a line on stdin).
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

SERVER = "127.0.0.1"
READ_SECONDS = 5.0


def local_of(sock):
    """A socket's own end, `addr:port`, an IPv4-mapped IPv6 address as its IPv4 address."""
    addr, port = sock.getsockname()[:2]
    if addr.startswith("::ffff:"):
        addr = addr[len("::ffff:") :]
    return f"{addr}:{port}"


def connect(src_addr, src_port, dst_port, dst_addr=SERVER):
    """A socket bound to (src_addr, src_port) (0: any port), connected to dst.

    An IPv6 source (`::ffff:127.0.0.2`) makes an IPv6 socket, connected to the IPv4-mapped
    address of dst: the same IPv4 listener, reached through another address family.
    """
    family = socket.AF_INET6 if ":" in src_addr else socket.AF_INET
    if family == socket.AF_INET6:
        dst_addr = f"::ffff:{dst_addr}"
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.settimeout(READ_SECONDS)
    try:
        # 127.0.0.1 and any port is what connect() picks by itself, as a browser's does (and,
        # unlike bind(), it may reuse the ends of a TIME-WAIT socket).
        if (src_addr, src_port) != (SERVER, 0):
            sock.bind((src_addr, src_port))
        sock.connect((dst_addr, dst_port))
    except OSError:
        sock.close()
        raise
    return sock


def read_to_end(sock):
    """Everything the server sends until it closes (or READ_SECONDS pass)."""
    chunks = []
    deadline = time.monotonic() + READ_SECONDS
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    return b"".join(chunks).decode("latin-1")


def attempt(src_addr, src_port, port, request, close_at_once):
    """One attacker connection: sent `request`; what came back (or that it was closed at once)."""
    try:
        sock = connect(src_addr, src_port, port)
    except OSError as err:
        return {"source": f"{src_addr}:{src_port}", "error": str(err)}, None
    record = {"local": local_of(sock)}
    try:
        sock.sendall(request.encode("latin-1"))
    except OSError as err:
        record["send_error"] = str(err)
    if close_at_once:
        sock.close()
        record["closed_at_once"] = True
        return record, None
    return record, sock


def finish(pending):
    """Read every open connection's answer, then close it."""
    for record, sock in pending:
        if sock is None:
            continue
        record["answer"] = read_to_end(sock)
        sock.close()


def connections(plan):
    """Open every source's connection first (all live at once), then read every answer."""
    pending = [
        attempt(addr, port, plan["port"], plan["request"], plan.get("close_at_once", False))
        for addr, port in plan["sources"]
    ]
    finish(pending)
    return {"uid": os.getuid(), "conns": [record for record, _ in pending]}


def orphan_lines(ss, port):
    """The closed sockets (ino:0) that name `port` as their remote port, as ss lists them."""
    out = subprocess.run([ss, "-tanHe"], capture_output=True, text=True, check=False).stdout
    lines = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4].endswith(f":{port}") and " ino:0 " in f" {line} ":
            lines.append(" ".join(fields[:5]))
    return lines


def orphans(plan):
    """Leave closed sockets whose remote port is the server's, then connect from their ends."""
    port = plan["port"]
    request = plan["request"]
    # Our own listener on another address at the same port; it never accepts, so the
    # connections we close to it stay FIN-WAIT-2 orphans (ino:0) for as long as we run.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.2", port))
    listener.listen(16)
    decoys = []
    for _ in range(4):
        sock = connect("127.0.0.3", 0, port, "127.0.0.2")
        decoys.append(local_of(sock))
        sock.close()
    # Connections to the person's server, each sent the request and closed at once: once the
    # server closes its end, ours are TIME-WAIT orphans naming 127.0.0.1:port.
    gone = []
    for _ in range(4):
        record, _ = attempt(SERVER, 0, port, request, True)
        gone.append(record)
    # Long enough for the server to have closed its ends, and for the kernel to let a new
    # connection reuse a TIME-WAIT's four ends (tcp_tw_reuse wants a second on loopback).
    time.sleep(1.2)
    left = orphan_lines(plan["ss"], port)
    # Live connections from the orphans' own ends: the decoy's address and port (its remote is
    # 127.0.0.2, ours 127.0.0.1), and a gone connection's four ends exactly.
    sources = [decoys[0].split(":"), gone[0]["local"].split(":")]
    pending = [attempt(addr, int(p), port, request, False) for addr, p in sources]
    finish(pending)
    listener.close()
    return {
        "orphans": left,
        "decoys": decoys,
        "gone": gone,
        "conns": [record for record, _ in pending],
    }


def read_response(sock, buffer):
    """One HTTP/1.1 response from `sock`: (status, headers, body, rest of the buffer)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer ({len(buffer)} bytes)")
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    return status, headers, buffer[:length], buffer[length:]


class Browser:
    """The person's browser: one keep-alive connection to the sign-in server (or a forwarder)."""

    def __init__(self, server_port, via):
        host, port = via.rsplit(":", 1) if via else (SERVER, str(server_port))
        self.host_header = f"{SERVER}:{server_port}"
        self.sock = connect(SERVER, 0, int(port), host)
        self.local = local_of(self.sock)
        self.buffer = b""

    def get(self, target):
        request = f"GET {target} HTTP/1.1\r\nHost: {self.host_header}\r\nAccept: text/html\r\n\r\n"
        self.sock.sendall(request.encode("latin-1"))
        status, headers, _body, self.buffer = read_response(self.sock, self.buffer)
        return status, headers


def browse(plan):
    """Approve at the issuer, then call back and load the success page on one connection."""
    result = {}
    try:
        browser = Browser(plan["port"], plan.get("via"))
    except OSError as err:  # the sign-in already ended (someone else finished it)
        return {"error": str(err)}
    result["local"] = browser.local
    if plan.get("hold"):
        status, _ = browser.get("/favicon.ico")
        result["first"] = status
        print(json.dumps({"held": browser.local}), flush=True)
        sys.stdin.readline()
    authorize = urlsplit(plan["authorize"])
    issuer = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=10)
    issuer.request("GET", f"{authorize.path}?{authorize.query}")
    answer = issuer.getresponse()
    answer.read()
    callback = urlsplit(answer.getheader("location", ""))
    result["authorize"] = answer.status
    try:
        status, headers = browser.get(f"{callback.path}?{callback.query}")
        result["callback"] = status
        location = headers.get("location", "")
        if status == 302 and location.startswith("/success"):
            result["success"] = browser.get(location)[0]
    except OSError as err:
        result["error"] = str(err)
    browser.sock.close()
    return result


MODES = {"connections": connections, "orphans": orphans, "browse": browse}

if __name__ == "__main__":
    print(json.dumps(MODES[sys.argv[1]](json.loads(sys.argv[2]))), flush=True)
