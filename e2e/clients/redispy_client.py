"""Writes through redis-py's Sentinel support until stdin closes, then reads
back the last acknowledged write and prints a JSON summary. Usage:
    python3 redispy_client.py <host:port,...> <master-name>"""
import json
import sys
import threading
import time

from redis.sentinel import Sentinel

addrs = [(a.split(":")[0], int(a.split(":")[1])) for a in sys.argv[1].split(",")]
sentinel = Sentinel(addrs, socket_timeout=0.5)
master = sentinel.master_for(sys.argv[2], socket_timeout=0.5, socket_connect_timeout=0.5)
state = {"acked": 0, "errors": 0, "last": 0}
stop = threading.Event()


def loop():
    i = 0
    while not stop.is_set():
        i += 1
        try:
            master.set("py:%d" % i, i)
            state["acked"] += 1
            state["last"] = i
            if state["acked"] == 1:
                print("ready", flush=True)
        except Exception:
            state["errors"] += 1
        time.sleep(0.05)


t = threading.Thread(target=loop)
t.start()
sys.stdin.read()
stop.set()
t.join()
out = dict(state)
try:
    out["readBack"] = master.get("py:%d" % state["last"]).decode()
    out["port"] = master.info("server")["tcp_port"]
except Exception as e:
    out["readBack"], out["port"] = None, None
print(json.dumps(out), flush=True)
