"""Shopfront: a tiny catalogue API with Prometheus metrics, on the Python standard library only.

GET /products      the catalogue (JSON)
POST /orders       records an order in the data volume (JSON body: {"product": ID, "quantity": N})
GET /health        200 when the data directory is writable
GET /metrics       Prometheus text exposition (format 0.0.4)
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA_DIR = os.environ.get("SHOPFRONT_DATA", "/data")
PORT = int(os.environ.get("SHOPFRONT_PORT", "8000"))
PRODUCTS = [
    {"id": 1, "name": "Mug", "price": 9.5},
    {"id": 2, "name": "T-shirt", "price": 18.0},
    {"id": 3, "name": "Sticker pack", "price": 4.0},
]
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

_lock = threading.Lock()
_requests = {}  # (method, path, code) -> count
_latency = [0] * (len(BUCKETS) + 1)  # cumulative later; last is +Inf
_latency_sum = 0.0
_orders = 0
_started = time.time()


def observe(method, path, code, seconds):
    global _latency_sum
    with _lock:
        key = (method, path, code)
        _requests[key] = _requests.get(key, 0) + 1
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                _latency[i] += 1
                break
        else:
            _latency[-1] += 1
        _latency_sum += seconds


def metrics_text():
    lines = [
        "# HELP shopfront_http_requests_total HTTP requests by method, path and status code.",
        "# TYPE shopfront_http_requests_total counter",
    ]
    with _lock:
        for (method, path, code), n in sorted(_requests.items()):
            lines.append(
                f'shopfront_http_requests_total{{method="{method}",path="{path}",code="{code}"}} {n}'
            )
        lines += [
            "# HELP shopfront_http_request_duration_seconds Time to answer a request.",
            "# TYPE shopfront_http_request_duration_seconds histogram",
        ]
        running = 0
        for bound, n in zip(BUCKETS, _latency):
            running += n
            lines.append(f'shopfront_http_request_duration_seconds_bucket{{le="{bound}"}} {running}')
        running += _latency[-1]
        lines.append(f'shopfront_http_request_duration_seconds_bucket{{le="+Inf"}} {running}')
        lines.append(f"shopfront_http_request_duration_seconds_sum {_latency_sum:.6f}")
        lines.append(f"shopfront_http_request_duration_seconds_count {running}")
        lines += [
            "# HELP shopfront_orders_total Orders recorded since the start.",
            "# TYPE shopfront_orders_total counter",
            f"shopfront_orders_total {_orders}",
            "# HELP shopfront_start_time_seconds When the process started (Unix time).",
            "# TYPE shopfront_start_time_seconds gauge",
            f"shopfront_start_time_seconds {_started:.0f}",
        ]
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    server_version = "shopfront/1.0"

    def _send(self, code, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return code

    def do_GET(self):
        start = time.monotonic()
        if self.path == "/products":
            code = self._send(200, json.dumps(PRODUCTS))
        elif self.path == "/health":
            ok = os.access(DATA_DIR, os.W_OK)
            code = self._send(200 if ok else 503, json.dumps({"ok": ok}))
        elif self.path == "/metrics":
            code = self._send(200, metrics_text(), "text/plain; version=0.0.4; charset=utf-8")
        else:
            code = self._send(404, json.dumps({"error": "not found"}))
        observe("GET", self.path if code != 404 else "other", code, time.monotonic() - start)

    def do_POST(self):
        global _orders
        start = time.monotonic()
        if self.path != "/orders":
            code = self._send(404, json.dumps({"error": "not found"}))
        else:
            try:
                length = int(self.headers.get("Content-Length", "0"))
                order = json.loads(self.rfile.read(length) or b"{}")
                if not any(p["id"] == order.get("product") for p in PRODUCTS):
                    raise ValueError("unknown product")
                if not isinstance(order.get("quantity"), int) or order["quantity"] < 1:
                    raise ValueError("quantity must be a positive integer")
                with _lock:
                    _orders += 1
                    with open(os.path.join(DATA_DIR, "orders.jsonl"), "a", encoding="utf-8") as f:
                        f.write(json.dumps({"at": time.time(), **order}) + "\n")
                code = self._send(201, json.dumps({"recorded": True}))
            except (ValueError, json.JSONDecodeError) as err:
                code = self._send(400, json.dumps({"error": str(err)}))
        observe("POST", self.path if code != 404 else "other", code, time.monotonic() - start)

    def log_message(self, fmt, *args):
        print(f"{self.address_string()} {fmt % args}", flush=True)


if __name__ == "__main__":
    print(f"shopfront listening on :{PORT}, data in {DATA_DIR}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
