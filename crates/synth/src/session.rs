//! One client's visit, planned as a queue of requests.
//!
//! Everything about a client (address, agent, protocol, user) comes from
//! hashing its id, so the same client looks the same in every visit without
//! a table of two million clients; the visit itself (pages, assets, cache
//! hits, forms) draws from the main stream. Browsers, crawlers, tools and
//! scanners each have their own plan. Requests are small `Copy` values that
//! name targets by index; they become text only when a line is written.

use crate::rng::{Rng, mix, pick};
use crate::site::Site;
use crate::vocab::{
    AGENTS, BOT_NETS, Kind, PROBES, REFERRERS, RefKind, TOP_AGENTS, UPTIME_ROBOT, USERS,
    V6_PREFIXES, WORDS,
};
use crate::wide::{self, Wide};
use crate::write::{push_ipv4, push_ipv6};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Head,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    Page(u32),
    /// A section page without its trailing slash.
    NoSlash(u32),
    Static(u32),
    ApiItem(u32),
    ApiList,
    Search,
    Fixed(&'static str, u32),
    Probe(u16),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Query {
    None,
    PageNo(u16),
    Search {
        a: u16,
        b: u16,
        page: u16,
    },
    Utm(u8),
    /// `?fbclid=` (`google == false`) or `?gclid=` with a token from `seed`.
    Click {
        google: bool,
        seed: u64,
    },
    ApiList {
        page: u16,
        sort: u8,
    },
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Ref {
    None,
    /// The page the session is on.
    Current,
    /// The stylesheet (fonts are requested by it).
    Css,
    Ext(u16),
    /// A referrer of the generated catalogue (`GenConfig::referrers`).
    Wide(u64),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) query: Query,
    pub(crate) referer: Ref,
    /// Planned status; 0 lets the target decide when the line is written.
    pub(crate) status: u16,
}

impl Req {
    fn get(target: Target, referer: Ref) -> Self {
        Self {
            method: Method::Get,
            target,
            query: Query::None,
            referer,
            status: 0,
        }
    }

    fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// One client's visit. The slot's buffers are reused by the next visit.
pub(crate) struct Session {
    pub(crate) active: bool,
    kind: Kind,
    pub(crate) ua: &'static str,
    /// A generated agent, which replaces `ua` when not empty.
    pub(crate) ua_own: Vec<u8>,
    mobile: bool,
    pub(crate) proto: &'static [u8],
    pub(crate) user: Option<&'static str>,
    pub(crate) ip: Vec<u8>,
    returning: bool,
    entry: Ref,
    first: bool,
    pages_left: u32,
    last_page: u32,
    queue: Vec<Req>,
    head: usize,
    /// Path and query of the page being viewed, for referrers.
    pub(crate) cur_url: Vec<u8>,
}

impl Session {
    pub(crate) fn new() -> Self {
        Self {
            active: false,
            kind: Kind::Browser,
            ua: "-",
            ua_own: Vec::new(),
            mobile: false,
            proto: b"HTTP/1.1",
            user: None,
            ip: Vec::with_capacity(40),
            returning: false,
            entry: Ref::None,
            first: true,
            pages_left: 0,
            last_page: 0,
            queue: Vec::with_capacity(16),
            head: 0,
            cur_url: Vec::with_capacity(128),
        }
    }

    /// Opens a visit by client `id`. Everything about the client comes from
    /// hashing the id, so the same client looks the same in every visit;
    /// the visit itself draws from the main stream.
    pub(crate) fn start(&mut self, id: u64, key: u64, site: &Site, rng: &mut Rng, wide: &mut Wide) {
        let mut h = Rng::new(mix(key ^ mix(id.wrapping_add(1))));
        let agent = match site.top_agents.get(id as usize) {
            Some(&a) => a,
            None => site.agents.pick(&mut h),
        };
        let (kind, _, net, ua) = AGENTS[agent];
        self.kind = kind;
        self.ua = ua;
        self.mobile = site.mobile[agent];
        self.ua_own.clear();
        if kind == Kind::Browser
            && let Some(f) = &mut wide.agents
        {
            let a = f.draw(rng, wide.frac);
            self.mobile = wide::agents::push(&mut self.ua_own, a, wide.key);
        }
        self.ip.clear();
        // Crawler networks hold a few thousand addresses; past the first
        // clients of a large population they would merge clients.
        if net != 0 && (wide.clients.is_none() || id < 20_000) {
            let (a, b, lo, hi) = BOT_NETS[usize::from(net)];
            let c = h.range(u32::from(lo), u32::from(hi)) as u8;
            push_ipv4(&mut self.ip, [a, b, c, h.range(1, 254) as u8]);
        } else if h.chance(wide.ipv6_share) && id >= TOP_AGENTS.len() as u64 {
            // The top clients stand for NAT gateways and crawler fleets,
            // which are still mostly IPv4.
            push_ipv6(&mut self.ip, ipv6(&mut h));
        } else {
            push_ipv4(&mut self.ip, ipv4(&mut h));
        }
        self.proto = match kind {
            Kind::Browser if h.chance(0.75) => b"HTTP/2.0",
            Kind::Crawler if h.chance(0.3) => b"HTTP/2.0",
            Kind::Tool | Kind::Scanner if h.chance(0.15) => b"HTTP/1.0",
            _ => b"HTTP/1.1",
        };
        self.user = if kind == Kind::Browser && h.chance(0.015) {
            Some(pick(&mut h, &USERS))
        } else {
            None
        };

        self.returning = rng.chance(0.55);
        self.entry = match &mut wide.referrers {
            None if rng.chance(0.42) => Ref::None,
            None => Ref::Ext(site.referrers.pick(rng) as u16),
            // Only browsers send a referrer: do not spend ids on others.
            Some(_) if kind != Kind::Browser => Ref::None,
            // Behind schedule, direct visits give way to referred ones.
            Some(f) if f.seen() < f.due(wide.frac) || !rng.chance(0.42) => {
                Ref::Wide(f.draw(rng, wide.frac))
            }
            Some(_) => Ref::None,
        };
        self.pages_left = match kind {
            Kind::Browser => 1 + rng.geometric(0.5, 11),
            Kind::Crawler => 1 + rng.geometric(0.75, 19),
            Kind::Tool => 1 + rng.geometric(0.75, 29),
            Kind::Scanner => rng.range(3, 14),
        };
        self.first = true;
        self.queue.clear();
        self.head = 0;
        self.cur_url.clear();
        self.active = true;
    }

    pub(crate) fn next(&mut self, site: &Site, rng: &mut Rng) -> Option<Req> {
        loop {
            if let Some(&r) = self.queue.get(self.head) {
                self.head += 1;
                return Some(r);
            }
            if self.pages_left == 0 {
                return None;
            }
            self.pages_left -= 1;
            self.queue.clear();
            self.head = 0;
            match self.kind {
                Kind::Browser => self.plan_browser(site, rng),
                Kind::Crawler => self.plan_crawler(site, rng),
                Kind::Tool => self.plan_tool(site, rng),
                Kind::Scanner => self.plan_scanner(rng),
            }
            self.first = false;
        }
    }

    /// A page view: the page, then whatever the browser does not have cached.
    fn plan_browser(&mut self, site: &Site, rng: &mut Rng) {
        let referer = if self.first { self.entry } else { Ref::Current };
        if rng.chance(0.06) {
            let page = if rng.chance(0.25) {
                rng.range(2, 6) as u16
            } else {
                1
            };
            let query = Query::Search {
                a: rng.index(WORDS.len()) as u16,
                b: rng.index(WORDS.len()) as u16,
                page,
            };
            self.queue.push(Req {
                query,
                ..Req::get(Target::Search, referer)
            });
        } else {
            let p = if self.first || rng.chance(0.7) {
                site.popular.sample(rng) as u32
            } else {
                // Related content sits next to each other in the catalogue.
                ((u64::from(self.last_page) + 1 + rng.below(6)) % site.popular.n) as u32
            };
            self.last_page = p;
            let page = &site.pages[p as usize];
            let mut query = Query::None;
            if self.first {
                query = entry_query(self.entry, rng);
            } else if page.section && rng.chance(0.2) {
                query = Query::PageNo(rng.range(2, 9) as u16);
            }
            if page.section && rng.chance(0.04) {
                self.queue
                    .push(Req::get(Target::NoSlash(p), referer).with_status(301));
            }
            self.queue.push(Req {
                query,
                ..Req::get(Target::Page(p), referer)
            });
            if self.first {
                self.plan_site_assets(site, rng);
            }
            for k in 0..u32::from(page.n_img) {
                // Lazy loading skips images the visitor never scrolls to.
                if !self.returning && (k == 0 || rng.chance(0.6)) {
                    self.queue
                        .push(Req::get(Target::Static(page.img + k), Ref::Current));
                } else if rng.chance(0.25) {
                    self.queue.push(
                        Req::get(Target::Static(page.img + k), Ref::Current).with_status(304),
                    );
                }
            }
            if rng.chance(0.05) {
                let item = site.items.sample(rng) as u32;
                self.queue
                    .push(Req::get(Target::ApiItem(item), Ref::Current));
            }
            if let Some(next) = page.form_next
                && rng.chance(0.3)
            {
                let status = if rng.chance(0.85) { 302 } else { 200 };
                self.queue.push(Req {
                    method: Method::Post,
                    ..Req::get(Target::Page(p), Ref::Current).with_status(status)
                });
                if status == 302 {
                    self.queue.push(Req::get(Target::Page(next), Ref::Current));
                }
            }
            return;
        }
        if self.first {
            self.plan_site_assets(site, rng);
        }
    }

    fn plan_site_assets(&mut self, site: &Site, rng: &mut Rng) {
        let status = if self.returning {
            // Mostly served from the browser cache without asking.
            if !rng.chance(0.35) {
                return;
            }
            304
        } else {
            0
        };
        for s in [site.css, site.js_app] {
            self.queue
                .push(Req::get(Target::Static(s), Ref::Current).with_status(status));
        }
        if !self.returning {
            if rng.chance(0.5) {
                // Fonts are requested by the stylesheet, hence its referrer.
                self.queue
                    .push(Req::get(Target::Static(site.font), Ref::Css));
            }
            self.queue
                .push(Req::get(Target::Static(site.logo), Ref::Current));
            if rng.chance(0.4) {
                self.queue
                    .push(Req::get(Target::Static(site.favicon), Ref::Current));
            }
            if self.mobile && rng.chance(0.3) {
                self.queue
                    .push(Req::get(Target::Static(site.touch_icon), Ref::None).with_status(404));
            }
        }
    }

    fn plan_crawler(&mut self, site: &Site, rng: &mut Rng) {
        if self.first && rng.chance(0.3) {
            self.queue
                .push(Req::get(Target::Fixed("/robots.txt", 412), Ref::None));
        }
        if rng.chance(0.03) {
            self.queue
                .push(Req::get(Target::Fixed("/sitemap.xml", 183_221), Ref::None));
        }
        let p = site.crawl.sample(rng) as u32;
        let page = &site.pages[p as usize];
        let roll = rng.f64();
        if page.section && roll < 0.05 {
            self.queue
                .push(Req::get(Target::NoSlash(p), Ref::None).with_status(301));
        }
        let status = if roll > 0.97 {
            404
        } else if roll > 0.87 {
            304
        } else {
            0
        };
        // Crawlers follow pagination links a lot.
        let query = if page.section && rng.chance(0.4) {
            Query::PageNo(rng.range(2, 40) as u16)
        } else {
            Query::None
        };
        self.queue.push(Req {
            query,
            ..Req::get(Target::Page(p), Ref::None).with_status(status)
        });
        if page.n_img > 0 && rng.chance(0.1) {
            self.queue
                .push(Req::get(Target::Static(page.img), Ref::None));
        }
    }

    fn plan_tool(&mut self, site: &Site, rng: &mut Rng) {
        let roll = if self.ua == UPTIME_ROBOT {
            0
        } else {
            rng.below(100)
        };
        let req = match roll {
            // Uptime checks.
            0..20 => Req {
                method: Method::Head,
                ..Req::get(Target::Page(0), Ref::None)
            },
            20..65 => Req::get(Target::ApiItem(site.items.sample(rng) as u32), Ref::None),
            65..80 => Req {
                query: Query::ApiList {
                    page: rng.range(1, 20) as u16,
                    sort: rng.below(3) as u8,
                },
                ..Req::get(Target::ApiList, Ref::None)
            },
            80..90 => {
                let r = Req::get(Target::Fixed("/feed.xml", 48_310), Ref::None);
                if rng.chance(0.3) {
                    r.with_status(304)
                } else {
                    r
                }
            }
            90..95 => Req {
                method: Method::Post,
                ..Req::get(Target::ApiList, Ref::None).with_status(403)
            },
            _ => Req::get(Target::Page(site.crawl.sample(rng) as u32), Ref::None),
        };
        self.queue.push(req);
    }

    fn plan_scanner(&mut self, rng: &mut Rng) {
        if self.first && rng.chance(0.4) {
            self.queue.push(Req::get(Target::Page(0), Ref::None));
        }
        let i = rng.index(PROBES.len());
        let method = if PROBES[i].0.ends_with(".php") && rng.chance(0.5) {
            Method::Post
        } else {
            Method::Get
        };
        self.queue.push(Req {
            method,
            ..Req::get(Target::Probe(i as u16), Ref::None)
        });
    }
}

/// Tracking parameters that arrive with the first page of a visit.
fn entry_query(entry: Ref, rng: &mut Rng) -> Query {
    let Ref::Ext(i) = entry else {
        // Direct visits: typed or bookmarked, a few from a newsletter.
        return if rng.chance(0.06) {
            Query::Utm(0)
        } else {
            Query::None
        };
    };
    let (kind, _, url) = REFERRERS[usize::from(i)];
    match kind {
        RefKind::Social if rng.chance(0.5) => {
            if url.contains("facebook") && rng.chance(0.5) {
                Query::Utm(1)
            } else if url.contains("facebook") || url.contains("instagram") {
                Query::Click {
                    google: false,
                    seed: rng.next_u64(),
                }
            } else if url.contains("linkedin") {
                Query::Utm(2)
            } else if url.contains("t.co") {
                Query::Utm(3)
            } else if url.contains("bsky") {
                Query::Utm(4)
            } else {
                Query::None
            }
        }
        RefKind::Search if rng.chance(0.05) => Query::Click {
            google: true,
            seed: rng.next_u64(),
        },
        _ => Query::None,
    }
}

/// A public-looking IPv4 address: no private, loopback, link-local,
/// CGNAT, documentation, benchmarking or multicast space.
fn ipv4(h: &mut Rng) -> [u8; 4] {
    loop {
        let a = h.range(1, 223) as u8;
        let b = h.below(256) as u8;
        let public = match a {
            10 | 127 => false,
            100 => !(64..128).contains(&b),
            169 => b != 254,
            172 => !(16..32).contains(&b),
            192 => b != 168 && b != 0,
            198 => !(18..20).contains(&b) && b != 51,
            203 => b != 0,
            _ => true,
        };
        if public {
            return [a, b, h.below(256) as u8, h.range(1, 254) as u8];
        }
    }
}

pub(crate) fn ipv6(h: &mut Rng) -> [u16; 8] {
    let [p0, p1] = V6_PREFIXES[h.index(V6_PREFIXES.len())];
    let mut g = [
        p0,
        p1,
        h.below(0x1_0000) as u16,
        h.below(0x100) as u16,
        0,
        0,
        0,
        0,
    ];
    match h.below(20) {
        // Servers and static assignments: a small interface id.
        0..5 => g[7] = 1 + h.below(0x200) as u16,
        // EUI-64 from a MAC address.
        5..9 => {
            g[4] = h.below(0x1_0000) as u16 & !0x0100;
            g[5] = (h.below(0x100) as u16) << 8 | 0x00ff;
            g[6] = 0xfe00 | h.below(0x100) as u16;
            g[7] = h.below(0x1_0000) as u16;
        }
        // Privacy extensions: random.
        _ => {
            for x in &mut g[4..] {
                *x = h.below(0x1_0000) as u16;
            }
        }
    }
    g
}
