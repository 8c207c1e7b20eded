//! Step 2 of the seed: the registry in bulk (factories, the bill of materials, contract items,
//! sourcing links), clones of the template rows.

use std::time::Instant;

use chrono::{NaiveDate, TimeDelta};
use diesel::prelude::*;
use ketenzorg::components::SourcingLinkRow;
use ketenzorg::db::{write_tx, DbConnection};
use ketenzorg::schema::{components, contract_items, factories, sourcing_links};
use rand::rngs::StdRng;
use rand::Rng;

use crate::model::*;
use crate::{id, v7};

/// Fills `model`'s registry and writes it. The first `n_hot` factories are each shared by two
/// contractors.
pub fn fill(
    conn: &mut DbConnection,
    model: &mut Model,
    templates: &Templates,
    rng: &mut StdRng,
    n_factories: usize,
    n_hot: usize,
) {
    let t = Instant::now();
    let registry_at = NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let mut factory_rows = Vec::with_capacity(n_factories);
    for i in 0..n_factories {
        let mut r = templates.factory.clone();
        let country = COUNTRIES[i % COUNTRIES.len()];
        let at = registry_at + TimeDelta::minutes(i as i64);
        r.id = v7(at);
        r.name = format!(
            "{} {} {} {i:05}",
            [
                "Shenzhen",
                "Dongguan",
                "Suzhou",
                "Penang",
                "Hanoi",
                "Guadalajara",
                "Pardubice",
                "Chennai",
                "Taoyuan",
                "Batam"
            ][i % 10],
            [
                "Precision",
                "Electronic",
                "Optical",
                "Power",
                "Display",
                "Cable",
                "Plastics",
                "Metal"
            ][(i / 10) % 8],
            [
                "Components Co., Ltd.",
                "Industries",
                "Manufacturing",
                "Technology",
                "Assembly Plant"
            ][(i / 80) % 5],
        );
        r.address = format!("{} Industrial Road, Zone {}", 1 + i % 400, i % 97);
        r.country = country.to_string();
        r.os_id = (i % 2 == 0).then(|| format!("{country}{}{:07}", 2019 + i % 6, i));
        r.latitude = Some(-30.0 + (i % 600) as f64 * 0.1);
        r.longitude = Some(-100.0 + (i % 2000) as f64 * 0.1);
        r.sector = Some("electronics".into());
        r.workers = Some(50 + (i * 37 % 8000) as i32);
        r.parent_company = (i % 3 == 0).then(|| format!("Holding {}", i % 250));
        r.dedup_key = ketenzorg::factories::dedup_key(&r.name, &r.address, &r.country);
        r.created_by = id(&model.contractors[i % CONTRACTORS].id);
        r.created_at = at;
        r.updated_at = at;
        model.factories.push(r.id);
        factory_rows.push(r);
    }
    let mut comp_rows = Vec::new();
    for (ci, contractor) in model.contractors.iter().enumerate() {
        for p in 0..PRODUCTS {
            let at = registry_at + TimeDelta::hours((ci * PRODUCTS + p) as i64);
            let mut product = templates.component.clone();
            product.id = v7(at);
            product.name = format!(
                "Model {}{:02} ({})",
                ["X", "T", "E", "P", "Z"][p % 5],
                p,
                ["laptop", "desktop", "monitor", "phone", "tablet"][p % 5]
            );
            product.parent_id = None;
            product.owner_id = id(&contractor.id);
            product.created_at = at;
            product.updated_at = at;
            let root = model.comps.len();
            model.comps.push((product.id, root, ci));
            let product_id = product.id;
            comp_rows.push(product);
            for s in 0..SUBS {
                let mut sub = templates.component.clone();
                sub.id = v7(at + TimeDelta::seconds(1));
                sub.name = format!(
                    "{} for model {p:02}",
                    ["Mainboard", "Display module", "Battery pack"][s]
                );
                sub.parent_id = Some(product_id);
                sub.owner_id = id(&contractor.id);
                sub.created_at = at;
                sub.updated_at = at;
                model.comps.push((sub.id, root, ci));
                let sub_id = sub.id;
                comp_rows.push(sub);
                for q in 0..PARTS {
                    let mut part = templates.component.clone();
                    part.id = v7(at + TimeDelta::seconds(2));
                    part.name =
                        format!("{} {s}.{q} for model {p:02}", ["Chip", "Panel", "Cell"][s]);
                    part.parent_id = Some(sub_id);
                    part.owner_id = id(&contractor.id);
                    part.created_at = at;
                    part.updated_at = at;
                    model.comps.push((part.id, root, ci));
                    comp_rows.push(part);
                }
            }
        }
    }
    // Contract j of contractor c covers two of c's products.
    let mut item_rows = Vec::new();
    for (j, k) in model.contracts.iter().enumerate() {
        let round = j / CONTRACTORS;
        for p in [(2 * round) % PRODUCTS, (2 * round + 1) % PRODUCTS] {
            let root =
                k.contractor * PRODUCTS * (1 + SUBS + SUBS * PARTS) + p * (1 + SUBS + SUBS * PARTS);
            debug_assert_eq!(model.comps[root].1, root);
            let mut item = templates.item.clone();
            item.id = v7(registry_at + TimeDelta::days(1) + TimeDelta::minutes(j as i64));
            item.contract_id = id(&k.id);
            item.component_id = model.comps[root].0;
            item.created_at = registry_at + TimeDelta::days(1);
            model.product_contracts.entry(root).or_default().push(j);
            item_rows.push(item);
        }
    }
    // Sourcing links: every component is made somewhere (products at tier 1, sub-assemblies
    // at tier 2, parts at tier 3); one link in ten has ended. The first `n_hot` factories are
    // each shared by exactly two contractors (a covered part of each), for the POST /findings
    // load: a finding there opens two cases.
    let level_of = |idx: usize| -> usize {
        let within = idx % (1 + SUBS + SUBS * PARTS);
        if within == 0 {
            1
        } else if (within - 1).is_multiple_of(1 + PARTS) {
            2
        } else {
            3
        }
    };
    let mut link_rows = Vec::new();
    let mut links: Vec<Vec<(usize, Option<NaiveDate>)>> = vec![Vec::new(); n_factories];
    let link = |comp: usize,
                factory: usize,
                tier: i32,
                valid_to: Option<NaiveDate>,
                rows: &mut Vec<SourcingLinkRow>,
                links: &mut Vec<Vec<(usize, Option<NaiveDate>)>>| {
        let at = registry_at + TimeDelta::days(2) + TimeDelta::seconds(rows.len() as i64);
        let mut r = templates.link.clone();
        r.id = v7(at);
        r.component_id = model.comps[comp].0;
        r.factory_id = model.factories[factory];
        r.tier = tier;
        r.valid_from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        r.valid_to = valid_to;
        r.disclosed_by = id(&model.contractors[model.comps[comp].2].id);
        r.created_at = at;
        rows.push(r);
        links[factory].push((comp, valid_to));
    };
    let covered: Vec<Vec<usize>> = (0..CONTRACTORS)
        .map(|ci| {
            (0..model.comps.len())
                .filter(|&x| model.comps[x].2 == ci && level_of(x) == 3)
                .filter(|&x| model.product_contracts.contains_key(&model.comps[x].1))
                .collect()
        })
        .collect();
    let with_parts: Vec<usize> = (0..CONTRACTORS)
        .filter(|&ci| !covered[ci].is_empty())
        .collect();
    assert!(
        with_parts.len() >= 2,
        "BENCH_SCALE too small: fewer than two contractors with contracts"
    );
    for h in 0..n_hot {
        let a = with_parts[h % with_parts.len()];
        let b = with_parts[(h + 1) % with_parts.len()];
        for ci in [a, b] {
            let part = covered[ci][(h / with_parts.len() * 7 + h) % covered[ci].len()];
            link(part, h, 3, None, &mut link_rows, &mut links);
        }
    }
    for comp in 0..model.comps.len() {
        let (tier, count) = match level_of(comp) {
            1 => (1, 1),
            2 => (2, rng.gen_range(1..=2)),
            _ => (3, rng.gen_range(1..=3)),
        };
        for _ in 0..count {
            let factory = rng.gen_range(n_hot..n_factories);
            if links[factory].iter().any(|(c, _)| *c == comp) {
                continue;
            }
            let ended = rng
                .gen_bool(0.1)
                .then(|| NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
            link(comp, factory, tier, ended, &mut link_rows, &mut links);
        }
    }
    model.links = links;
    write_tx(conn, |c| {
        insert_rows!(c, factories::table, factory_rows);
        insert_rows!(c, components::table, comp_rows);
        insert_rows!(c, contract_items::table, item_rows);
        insert_rows!(c, sourcing_links::table, link_rows);
        Ok(())
    })
    .expect("bulk registry");
    eprintln!(
        "seed: {} factories, {} components, {} contract items, {} sourcing links in bulk in {:.1}s",
        factory_rows.len(),
        comp_rows.len(),
        item_rows.len(),
        link_rows.len(),
        t.elapsed().as_secs_f64()
    );
}
