#!/usr/bin/env python3
"""A scripted HTTP(S) server on 127.0.0.1 for leadsync's feed tests. Prints its port, then serves until killed.

usage: feed_server.py [--tls CERT KEY]
Each path is one behaviour (see `routes`); GET /requests lists what was asked, loopback only.
POST /hook* are webhook receivers (see do_POST): they check the Leadsync-Signature with the shared test
secret, keep every body, and GET /posts lists what was posted.
"""
import gzip, hashlib, hmac, http.server, json, socketserver, ssl, sys, threading, time, urllib.parse

WEBHOOK_SECRET = b"whsec-test-shared-secret"
posts = []
sink_keys = {}

def signature_ok(header, body):
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts: return False
    expected = hmac.new(WEBHOOK_SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])

counters = {}
log = []
lock = threading.Lock()

def prospect(i):
    return (f"<prospect><id>{i}</id><first_name>Pré{i}</first_name><last_name>Nom{i}</last_name>"
            f"<email>prospect{i}@entreprise-{i}.fr</email><company>Entreprise {i} SAS</company>"
            f"<phone>01 45 67 {i // 100 % 100:02d} {i % 100:02d}</phone><country>France</country>"
            f"<employees>{50 + i}</employees><grade>A</grade><created_at>2026-11-0{1 + i % 9} 10:00:00</created_at></prospect>")

def pardot_page(start, count, total):
    items = "".join(prospect(i) for i in range(start, min(start + count, total)))
    return f'<?xml version="1.0" encoding="UTF-8"?><rsp stat="ok" version="1.0"><result><total_results>{total}</total_results>{items}</result></rsp>'

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A response goes out in two writes (headers, body): with Nagle's algorithm on, the second waits for the
    # client's delayed ACK, 40 ms a request on a kept-alive connection.
    disable_nagle_algorithm = True
    def log_message(self, *args): pass

    def send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items(): self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        with lock:
            counters[url.path] = counters.get(url.path, 0) + 1
            n = counters[url.path]
            log.append({"path": url.path, "query": q, "headers": {k.lower(): v for k, v in self.headers.items()}})
        xml = {"Content-Type": "application/xml"}
        p = url.path
        if p == "/requests":
            return self.send(200, json.dumps(log).encode(), {"Content-Type": "application/json"})
        if p == "/sink-count":
            with lock: body = json.dumps({"keys": len(sink_keys), "received": sum(sink_keys.values())}).encode()
            return self.send(200, body, {"Content-Type": "application/json"})
        if p == "/posts":
            with lock: body = json.dumps(posts).encode()
            return self.send(200, body, {"Content-Type": "application/json"})
        if p == "/pardot":  # page/offset pagination: ?offset=N&limit=M, empty page at the end
            total = int(q.get("total", "5")); offset = int(q.get("offset", "0")); limit = int(q.get("limit", "2"))
            return self.send(200, pardot_page(offset, limit, total).encode(), xml)
        if p == "/linked":  # next-page link inside the document
            page = int(q.get("page", "1"))
            nxt = f"<next_page_url>http://{self.headers['Host']}/linked?page={page + 1}</next_page_url>" if page < 3 else ""
            body = pardot_page((page - 1) * 2, 2, 6).replace("<result>", f"<result>{nxt}")
            return self.send(200, body.encode(), xml)
        if p == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                return self.send(304, b"", {"ETag": '"v1"'})
            return self.send(200, pardot_page(0, 3, 3).encode(), {**xml, "ETag": '"v1"', "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"})
        if p == "/flaky429":
            if n == 1: return self.send(429, b"slow down", {"Retry-After": "1"})
            return self.send(200, pardot_page(0, 2, 2).encode(), xml)
        if p == "/flaky500":
            if n <= 3: return self.send(500, b"oops")
            return self.send(200, pardot_page(0, 2, 2).encode(), xml)
        if p == "/auth":
            if self.headers.get("Authorization") != "Bearer s3cr3t-t0ken": return self.send(401, b"unauthorized")
            return self.send(200, pardot_page(0, 2, 2).encode(), xml)
        if p == "/basic":
            import base64
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"leadsync:p4ss w0rd").decode(): return self.send(401, b"unauthorized")
            return self.send(200, pardot_page(0, 1, 1).encode(), xml)
        if p == "/header-key":
            if self.headers.get("X-API-Key") != "h3ader-k3y": return self.send(403, b"forbidden")
            return self.send(200, pardot_page(0, 1, 1).encode(), xml)
        if p == "/with-invalid":  # one prospect without email or phone: rejected on its own as URL#id
            body = pardot_page(0, 2, 2).replace("</result>", "<prospect><id>999</id><first_name>No</first_name><last_name>Contact</last_name></prospect></result>")
            return self.send(200, body.encode(), xml)
        if p == "/apikey":
            if q.get("api_key") != "k3y-in-query": return self.send(403, b"forbidden")
            return self.send(200, pardot_page(0, 1, 1).encode(), xml)
        if p == "/truncated":  # announces more than it sends, then closes: only the first call
            if n == 1:
                body = pardot_page(0, 4, 4).encode()
                self.send_response(200); self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body[: len(body) // 2]); self.wfile.flush()
                self.close_connection = True
                return
            return self.send(200, pardot_page(0, 4, 4).encode(), xml)
        if p == "/slow":
            self.send_response(200); self.send_header("Content-Length", "100000"); self.end_headers()
            self.wfile.write(b"<rsp>"); self.wfile.flush()
            time.sleep(10)
            return
        if p == "/redirect-file":
            return self.send(302, b"", {"Location": "file:///etc/passwd"})
        if p == "/gzip":
            body = gzip.compress(pardot_page(0, 3, 3).encode())
            return self.send(200, body, {**xml, "Content-Encoding": "gzip"})
        if p == "/file":  # a large document from disk, streamed (benchmarks)
            import os
            size = os.path.getsize(q["path"])
            self.send_response(200); self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(size)); self.end_headers()
            with open(q["path"], "rb") as f:
                while chunk := f.read(1 << 20):
                    self.wfile.write(chunk)
            return
        if p == "/fail":
            return self.send(200, b'<rsp stat="fail" version="1.0"><err code="15">Login failed</err></rsp>', xml)
        return self.send(404, b"no such fixture")

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        p = url.path
        ok = b'{"received":true}'
        if p == "/sink":  # benchmarks: counts the keys received, keeps no body
            with lock:
                for key in (self.headers.get("Idempotency-Key") or "").split(","):
                    sink_keys[key] = sink_keys.get(key, 0) + 1
            return self.send(200, ok)
        with lock:
            counters[p] = counters.get(p, 0) + 1
            n = counters[p]
            posts.append({"path": p, "n": n, "idempotency_key": self.headers.get("Idempotency-Key"),
                          "event": self.headers.get("Leadsync-Event"),
                          "signature_ok": signature_ok(self.headers.get("Leadsync-Signature"), body),
                          "body": body.decode("utf-8", "replace")})
        ok = b'{"received":true}'
        if p == "/hook": return self.send(200, ok)
        if p == "/hook500x3":  # fails three times, then accepts
            if n <= 3: return self.send(500, b"internal error, try later")
            return self.send(200, ok)
        if p == "/hook429":
            if n == 1: return self.send(429, b"slow down", {"Retry-After": "1"})
            return self.send(200, ok)
        if p == "/hook400": return self.send(400, b'{"error":"lead rejected: no owner"}' + b"x" * 2000)
        if p == "/hookslow":
            time.sleep(5)
            return self.send(200, ok)
        if p == "/hookredirect": return self.send(307, b"", {"Location": "/hook"})
        return self.send(404, b"no such receiver")

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) == 4 and sys.argv[1] == "--tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
