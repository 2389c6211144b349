//! The synthetic site: a few thousand pages with their assets, and the laws
//! visits draw pages, items, agents and referrers from.
//!
//! It is built once per run from the seed, and it is the only place that
//! allocates per item; everything after it refers to pages and assets by
//! index. The site is a fixed university-like shape (news archive, courses,
//! people, events, blog), not a model of any real one.

use crate::rng::{Rng, Weighted, Zipf, log_uniform, mix, pick};
use crate::vocab::{AGENTS, DEPTS, FIRST, LAST, REFERRERS, TOP_AGENTS, WORDS};

#[derive(Clone, Debug)]
pub(crate) struct Page {
    pub(crate) path: Box<str>,
    pub(crate) size: u32,
    /// Page-specific images: `statics[img..img + n_img]`.
    pub(crate) img: u32,
    pub(crate) n_img: u8,
    /// Ends in `/`, so a request without the slash earns a 301.
    pub(crate) section: bool,
    /// Where a POST to this page redirects, if it has a form.
    pub(crate) form_next: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct Static {
    pub(crate) path: Box<str>,
    pub(crate) size: u32,
}

/// The synthetic site: a few thousand pages with their assets, built from
/// the seed once per run (this is the only place that allocates per item).
pub(crate) struct Site {
    pub(crate) pages: Vec<Page>,
    pub(crate) statics: Vec<Static>,
    pub(crate) css: u32,
    pub(crate) js_app: u32,
    pub(crate) font: u32,
    pub(crate) logo: u32,
    pub(crate) favicon: u32,
    pub(crate) touch_icon: u32,
    pub(crate) size_404: u32,
    pub(crate) popular: Zipf,
    /// Crawlers walk the whole site, so their page popularity is flat.
    pub(crate) crawl: Zipf,
    pub(crate) items: Zipf,
    pub(crate) agents: Weighted,
    pub(crate) top_agents: [usize; TOP_AGENTS.len()],
    pub(crate) mobile: Vec<bool>,
    pub(crate) referrers: Weighted,
}

fn slug(rng: &mut Rng, words: u32) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push('-');
        }
        s.push_str(pick(rng, WORDS));
    }
    s
}

impl Site {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(mix(seed ^ 0x5173_e5e1_7e00_0001));
        let mut statics: Vec<Static> = Vec::new();
        let add_static = |statics: &mut Vec<Static>, path: String, size: u32| {
            statics.push(Static {
                path: path.into(),
                size,
            });
            (statics.len() - 1) as u32
        };
        let hash5 = |rng: &mut Rng| format!("{:05x}", rng.below(1 << 20));
        let css = add_static(
            &mut statics,
            format!("/static/css/main.{}.css", hash5(&mut rng)),
            log_uniform(&mut rng, 30_000, 120_000),
        );
        let js_app = add_static(
            &mut statics,
            format!("/static/js/app.{}.js", hash5(&mut rng)),
            log_uniform(&mut rng, 150_000, 600_000),
        );
        let font = add_static(
            &mut statics,
            "/static/fonts/inter-var.woff2".into(),
            log_uniform(&mut rng, 48_000, 110_000),
        );
        let logo = add_static(
            &mut statics,
            "/static/img/logo.svg".into(),
            log_uniform(&mut rng, 3_000, 12_000),
        );
        let favicon = add_static(
            &mut statics,
            "/favicon.ico".into(),
            log_uniform(&mut rng, 1_150, 15_086),
        );
        let touch_icon = add_static(&mut statics, "/apple-touch-icon.png".into(), 0);

        let mut fixed: Vec<(String, bool)> = [
            "/",
            "/news/",
            "/courses/",
            "/events/",
            "/about/",
            "/admissions/",
            "/people/",
            "/library/",
            "/research/",
            "/contact/",
            "/login",
            "/blog/",
            "/about/jobs/",
            "/about/campus-map/",
            "/admissions/international/",
            "/library/opening-hours",
            "/privacy",
            "/imprint",
        ]
        .iter()
        .map(|p| (p.to_string(), false))
        .collect();
        let mut rest: Vec<(String, bool)> = Vec::new();
        for _ in 0..1200 {
            // Two years of archive up to the default start month.
            let y = 2024 + rng.below(3);
            let m = 1 + rng.below(if y == 2026 { 3 } else { 12 });
            let words = rng.range(2, 4);
            rest.push((format!("/news/{y}/{m:02}/{}", slug(&mut rng, words)), true));
        }
        for _ in 0..120 {
            let course = format!(
                "/courses/{}-{}",
                pick(&mut rng, &DEPTS),
                rng.range(101, 499)
            );
            rest.push((format!("{course}/"), false));
            rest.push((format!("{course}/syllabus"), false));
            rest.push((format!("{course}/schedule"), false));
            for _ in 0..rng.below(4) {
                let sub = match rng.below(3) {
                    0 => format!("{course}/lectures/week-{}", rng.range(1, 14)),
                    1 => format!("{course}/assignments/hw{}", rng.range(1, 10)),
                    _ => format!(
                        "{course}/exams/{}",
                        if rng.chance(0.5) { "midterm" } else { "final" }
                    ),
                };
                rest.push((sub, false));
            }
        }
        for _ in 0..300 {
            rest.push((
                format!("/people/{}-{}", pick(&mut rng, FIRST), pick(&mut rng, LAST)),
                true,
            ));
        }
        for _ in 0..200 {
            let words = rng.range(2, 4);
            rest.push((format!("/events/2026/{}", slug(&mut rng, words)), true));
        }
        for _ in 0..300 {
            let words = rng.range(2, 4);
            rest.push((
                format!("/blog/{}/{}", 2023 + rng.below(4), slug(&mut rng, words)),
                true,
            ));
        }
        for _ in 0..60 {
            rest.push((
                format!(
                    "/research/{}-{}/",
                    pick(&mut rng, WORDS),
                    pick(&mut rng, WORDS)
                ),
                true,
            ));
        }
        for w in WORDS.iter().take(60) {
            rest.push((format!("/blog/tag/{w}/"), false));
        }
        rest.sort();
        rest.dedup_by(|a, b| a.0 == b.0);
        // Popularity rank is the index: the fixed hub pages first, then the
        // rest in random order.
        for i in (1..rest.len()).rev() {
            let j = rng.index(i + 1);
            rest.swap(i, j);
        }
        fixed.append(&mut rest);
        let account = fixed.len() as u32;
        fixed.push(("/account/".into(), false));
        let thanks = fixed.len() as u32;
        fixed.push(("/contact/thanks".into(), false));

        let mut pages = Vec::with_capacity(fixed.len());
        for (path, with_images) in fixed {
            let img = statics.len() as u32;
            let mut n_img = 0u8;
            if with_images {
                // `/images/<section>/<first words of the slug>-<k>.jpg`
                let mut segs = path.trim_matches('/').split('/');
                let section = segs.next().unwrap_or("misc");
                let last = segs.next_back().unwrap_or("img");
                let stem: Vec<&str> = last.split('-').take(2).collect();
                let stem = stem.join("-");
                n_img = rng.range(0, 2) as u8;
                for k in 0..n_img {
                    let ext = if rng.chance(0.3) { "webp" } else { "jpg" };
                    let size = log_uniform(&mut rng, 15_000, 900_000);
                    add_static(
                        &mut statics,
                        format!("/images/{section}/{stem}-{k}.{ext}"),
                        size,
                    );
                }
            }
            let form_next = match path.as_str() {
                "/login" => Some(account),
                "/contact/" => Some(thanks),
                _ => None,
            };
            pages.push(Page {
                section: path.ends_with('/') && path.len() > 1,
                size: log_uniform(&mut rng, 9_000, 95_000),
                path: path.into(),
                img,
                n_img,
                form_next,
            });
        }
        let n = pages.len() as u64;
        let top_agents = TOP_AGENTS.map(|ua| AGENTS.iter().position(|a| a.3 == ua).unwrap_or(0));
        Self {
            css,
            js_app,
            font,
            logo,
            favicon,
            touch_icon,
            size_404: log_uniform(&mut rng, 4_000, 6_000),
            // Exclude the two redirect targets from free navigation.
            popular: Zipf::new(n - 2, 0.95),
            crawl: Zipf::new(n - 2, 0.35),
            items: Zipf::new(60_000, 1.1),
            agents: Weighted::new(AGENTS.iter().map(|a| a.1)),
            top_agents,
            mobile: AGENTS
                .iter()
                .map(|a| a.3.contains("Mobile") || a.3.contains("iPad"))
                .collect(),
            referrers: Weighted::new(REFERRERS.iter().map(|r| r.1)),
            pages,
            statics,
        }
    }
}
