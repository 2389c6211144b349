"""Regenerates the per-format samples in this folder (deterministic).

    python3 sample-logs/formats/make_formats.py

Addresses are from documentation and private ranges or invented; no real
person or host is represented."""

import datetime as dt
import json
import pathlib
import random

HERE = pathlib.Path(__file__).parent
rng = random.Random(20260328)
START = dt.datetime(2026, 3, 28, 9, 0, 0, tzinfo=dt.timezone.utc)
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
]
PATHS = ["/", "/news/", "/library/hours", "/courses/cs-101/syllabus", "/static/app.css", "/search?q=financial+aid"]


def client(i):
    return rng.choice([f"198.51.100.{rng.randint(1, 60)}", f"203.0.113.{rng.randint(1, 60)}", f"2001:db8::{rng.randint(1, 40):x}"])


def rows(n):
    t = START
    for i in range(n):
        t += dt.timedelta(seconds=rng.randint(1, 90))
        yield i, t, client(i), rng.choice(PATHS), rng.choice([200, 200, 200, 304, 404, 500]), rng.randint(0, 40000), rng.choice(AGENTS), rng.randint(1, 900)


def write(name, lines):
    (HERE / name).write_text("\n".join(lines) + "\n")


# nginx escape=json
write("nginx.json", [
    json.dumps({"time_iso8601": t.isoformat(), "remote_addr": c, "request": f"GET {p} HTTP/1.1", "status": str(s),
                "body_bytes_sent": str(b), "request_time": f"{ms / 1000:.3f}", "http_referer": "", "http_user_agent": a})
    for i, t, c, p, s, b, a, ms in rows(40)
] + ['{"time_iso8601": "2026-03-28T10:00:00+00:00", "remote_addr": '])  # truncated

# Caddy v2 access log
write("caddy.json", [
    json.dumps({"level": "info", "ts": t.timestamp(), "logger": "http.log.access", "msg": "handled request",
                "request": {"remote_ip": c, "proto": "HTTP/2.0", "method": "GET", "host": "www.example.edu", "uri": p,
                            "headers": {"User-Agent": [a]}}, "duration": ms / 1000, "size": b, "status": s})
    for i, t, c, p, s, b, a, ms in rows(40)
])

# IIS W3C, with a restart that changes the fields
iis = ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0", "#Date: 2026-03-28 09:00:00",
       "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"]
for i, t, c, p, s, b, a, ms in rows(30):
    stem, _, query = p.partition("?")
    iis.append(f"{t:%Y-%m-%d %H:%M:%S} 10.0.0.5 GET {stem} {query or '-'} 443 - {c} {a.replace(' ', '+')} - {s} 0 0 {ms}")
iis.append("2026-03-28 10:30:00 10.0.0.5 GET")  # truncated
iis += ["#Software: Microsoft Internet Information Services 10.0", "#Fields: date time c-ip cs-host cs-method cs-uri-stem sc-status sc-bytes time-taken"]
for i, t, c, p, s, b, a, ms in rows(10):
    iis.append(f"{t:%Y-%m-%d %H:%M:%S} {c} intranet.example.edu POST /api/save {s} {b} {ms}")
(HERE / "iis.log").write_text("\r\n".join(iis) + "\r\n")

# HAProxy httplog with syslog prefix
write("haproxy.log", [
    f"{t:%b %d %H:%M:%S} lb1 haproxy[4242]: {c if ':' not in c else '198.51.100.9'}:{40000 + i} [{t:%d/%b/%Y:%H:%M:%S}.{i % 1000:03d}] www-in web/srv{i % 3} 0/0/1/{ms}/{ms + 2} {s} {b} - - ---- 3/3/1/1/0 0/0 \"GET {p} HTTP/1.1\""
    for i, t, c, p, s, b, a, ms in rows(40)
] + ["Mar 28 10:40:00 lb1 haproxy[4242]: Connect from 198.51.100.2:4000 to 10.0.0.1:80 (www-in/HTTP)"])  # not an HTTP log line

# AWS Application Load Balancer
write("alb.log", [
    f"https {t:%Y-%m-%dT%H:%M:%S}.{i:06d}Z app/lb-web/50dc6c495c0c9188 {c if ':' not in c else '203.0.113.77'}:{2800 + i} 10.0.1.{i % 9}:443 0.000 {ms / 1000:.3f} 0.000 {s} {s} 180 {b} \"GET https://www.example.edu:443{p} HTTP/1.1\" \"{a}\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067 \"Root=1-{i:08x}-36d228ad5d99923122bbe354\" \"www.example.edu\" \"-\" 0 {t:%Y-%m-%dT%H:%M:%S}.000000Z \"forward\" \"-\" \"-\" \"10.0.1.{i % 9}:443\" \"{s}\" \"-\" \"-\""
    for i, t, c, p, s, b, a, ms in rows(30)
])

# Node/Express morgan `default` (RFC 1123 dates)
write("morgan.log", [
    f"{c} - - [{t:%a, %d %b %Y %H:%M:%S} GMT] \"GET {p} HTTP/1.1\" {s} {b if s != 304 else '-'} \"-\" \"{a}\""
    for i, t, c, p, s, b, a, ms in rows(30)
])

# Kubernetes ingress-nginx upstreaminfo
write("ingress-nginx.log", [
    f"{c} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] \"GET {p} HTTP/1.1\" {s} {b} \"-\" \"{a}\" {rng.randint(80, 600)} {ms / 1000:.3f} [web-site-80] [] "
    + (f"10.244.0.5:8080 {b} {ms / 1000:.3f} {s}" if i % 7 else f"10.244.0.5:8080, 10.244.0.6:8080 0, {b} 0.001, {ms / 1000:.3f} 502, {s}")
    + f" {rng.getrandbits(64):016x}"
    for i, t, c, p, s, b, a, ms in rows(30)
])
# IIS Advanced Logging (last, so the samples above keep their random draws):
# string values in double quotes, agents with their spaces; UTC date/time
# beside the server's time-local (UTC-5 here), TimeTakenMS; "" and - for
# empty values; one line cut inside a quoted agent
adv = ["#Software: IIS Advanced Logging Module", "#Version: 1.0", "#Start-Date: 2026-03-28 09:00:00.000",
       "#Fields: date time s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes time-local TimeTakenMS"]
for i, t, c, p, s, b, a, ms in rows(30):
    stem, _, query = p.partition("?")
    agent = '""' if i % 9 == 4 else f'"{a}"'
    referer = '"https://www.example.edu/news/"' if i % 4 == 1 else "-"
    local = t - dt.timedelta(hours=5)
    adv.append(f'{t:%Y-%m-%d %H:%M:%S}.{i * 37 % 1000:03d} "WEB01" 10.0.0.5 GET {stem} {query or "-"} 443 - "{c}" {agent} {referer} '
               f'"www.example.edu" {s} 0 0 {b if s != 304 else "-"} {local:%H:%M:%S}.{i * 37 % 1000:03d} {ms}')
adv.append('2026-03-28 10:40:00.000 "WEB01" 10.0.0.5 GET /news/ - 443 - "198.51.100.7" "Mozilla/5.0 (Windows NT 10.0; Win64')  # cut
(HERE / "iis-advanced.log").write_text("\r\n".join(adv) + "\r\n")

# AWS Classic Load Balancer (ELB), after the samples above for the same
# reason: client:port, three processing times (-1 when the backend never
# answered), ELB and backend status, a TCP listener line with "- - - "
elb = []
for i, t, c, p, s, b, a, ms in rows(30):
    addr = c if ":" not in c else "203.0.113.78"
    if i % 10 == 7:
        elb.append(f"{t:%Y-%m-%dT%H:%M:%S}.{i:06d}Z lb-web {addr}:{3100 + i} - -1 -1 -1 504 0 0 0 "
                   f"\"GET https://www.example.edu:443{p} HTTP/1.1\" \"{a}\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2")
    elif i % 10 == 3:
        elb.append(f"{t:%Y-%m-%dT%H:%M:%S}.{i:06d}Z lb-tcp {addr}:{3100 + i} 10.0.2.{i % 5}:5432 0.000{i % 10} 0.001 0.00005 "
                   f"- - 82 {b} \"- - - \" \"-\" - -")
    else:
        elb.append(f"{t:%Y-%m-%dT%H:%M:%S}.{i:06d}Z lb-web {addr}:{3100 + i} 10.0.2.{i % 5}:80 0.000{i % 10} {ms / 1000:.6f} 0.00004 "
                   f"{s} {s} 0 {b} \"GET https://www.example.edu:443{p} HTTP/1.1\" \"{a}\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2")
write("elb.log", elb)

# nginx combined sent to syslog (`access_log syslog:server=…,tag=nginx`),
# as rsyslog files it: RFC 3164 header, a day padded with a space
write("syslog.log", [
    f"{t:%b} {t.day:2d} {t:%H:%M:%S} web1 nginx: {c} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] \"GET {p} HTTP/1.1\" {s} {b} \"-\" \"{a}\""
    for i, t, c, p, s, b, a, ms in rows(30)
])
print("wrote", sorted(p.name for p in HERE.iterdir()))
