//! Which registry factory a row of a disclosure list names.
//!
//! Exact matches follow the registry's own identity rules (`factories::dedup_key`): the same
//! OS ID, else the same name, address and country after folding case, punctuation and spacing.
//! A row that matches nothing exactly may still be a factory already registered under a
//! slightly different spelling ("Foxconn Precision Co." and "Foxconn Precision Company Ltd" on
//! the same road): those near matches are offered for the person to confirm, scored by the
//! Sørensen–Dice similarity of name and address among the factories of the same country. The
//! candidates are found through a trigram index of that country's names, built once per import
//! and country, so a row costs a few hundred comparisons, not one per registered factory.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::error::Error;
use crate::factories::{dedup_key, fold, normalize_os_id};
use crate::schema::factories;
use crate::values::FactoryId;

/// A near match shown to the person importing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub factory_id: FactoryId,
    pub name: String,
    pub address: String,
    /// 0 to 1: how alike the names (70%) and addresses (30%) are.
    pub score: f64,
}

/// How a row's factory was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    OsId,
    NameAddressCountry,
    /// The person confirmed a near match (`confirm`).
    Confirmed,
}

/// Scores at or above this are offered as near matches.
pub const NEAR: f64 = 0.6;
/// At most this many near matches per row.
const MAX_CANDIDATES: usize = 3;
/// A trigram found in more names than this says little about which factory is meant
/// ("ltd", "co "); it is left out of the candidate search.
const COMMON_GRAM: usize = 400;

struct Entry {
    id: FactoryId,
    name: String,
    address: String,
    name_folded: String,
    address_folded: String,
}

#[derive(Default)]
struct CountryIndex {
    entries: Vec<Entry>,
    grams: HashMap<[char; 3], Vec<u32>>,
}

impl CountryIndex {
    fn add(&mut self, id: FactoryId, name: String, address: String) {
        let n = self.entries.len() as u32;
        let name_folded = fold(&name);
        let mut grams = trigrams(&name_folded);
        grams.sort_unstable();
        grams.dedup();
        for g in grams {
            self.grams.entry(g).or_default().push(n);
        }
        self.entries.push(Entry {
            id,
            address_folded: fold(&address),
            name,
            address,
            name_folded,
        });
    }
}

/// The import's view of the registry: what it has looked up, and the factories it registered.
#[derive(Default)]
pub struct Matcher {
    by_os_id: HashMap<String, Option<FactoryId>>,
    by_key: HashMap<String, Option<FactoryId>>,
    countries: HashMap<String, CountryIndex>,
}

impl Matcher {
    /// The factory with this OS ID or this name, address and country.
    pub fn exact(
        &mut self,
        conn: &mut DbConnection,
        os_id: Option<&str>,
        name: &str,
        address: &str,
        country: &str,
    ) -> Result<Option<(FactoryId, MatchedBy)>, Error> {
        if let Some(os) = os_id.map(normalize_os_id) {
            let found = match self.by_os_id.get(&os) {
                Some(hit) => *hit,
                None => {
                    let hit = factories::table
                        .filter(factories::os_id.eq(&os))
                        .select(factories::id)
                        .first::<FactoryId>(conn)
                        .optional()?;
                    self.by_os_id.insert(os, hit);
                    hit
                }
            };
            if let Some(id) = found {
                return Ok(Some((id, MatchedBy::OsId)));
            }
        }
        let key = dedup_key(name, address, country);
        let found = match self.by_key.get(&key) {
            Some(hit) => *hit,
            None => {
                let hit = factories::table
                    .filter(factories::dedup_key.eq(&key))
                    .select(factories::id)
                    .first::<FactoryId>(conn)
                    .optional()?;
                self.by_key.insert(key, hit);
                hit
            }
        };
        Ok(found.map(|id| (id, MatchedBy::NameAddressCountry)))
    }

    /// Factories of `country` whose name and address are like these, best first.
    pub fn near(
        &mut self,
        conn: &mut DbConnection,
        name: &str,
        address: &str,
        country: &str,
    ) -> Result<Vec<Candidate>, Error> {
        let index = self.country(conn, country)?;
        let name_folded = fold(name);
        let address_folded = fold(address);
        let grams = {
            let mut g = trigrams(&name_folded);
            g.sort_unstable();
            g.dedup();
            g
        };
        let mut shared: HashMap<u32, u32> = HashMap::new();
        for g in &grams {
            if let Some(list) = index.grams.get(g) {
                if list.len() <= COMMON_GRAM {
                    for &i in list {
                        *shared.entry(i).or_default() += 1;
                    }
                }
            }
        }
        // A candidate shares at least a third of the name's trigrams.
        let least = (grams.len() as u32).div_ceil(3).max(1);
        let mut found: Vec<Candidate> = shared
            .into_iter()
            .filter(|(_, n)| *n >= least)
            .filter_map(|(i, _)| {
                let e = &index.entries[i as usize];
                let score = 0.7 * strsim::sorensen_dice(&name_folded, &e.name_folded)
                    + 0.3 * strsim::sorensen_dice(&address_folded, &e.address_folded);
                (score >= NEAR).then(|| Candidate {
                    factory_id: e.id,
                    name: e.name.clone(),
                    address: e.address.clone(),
                    score: (score * 100.0).round() / 100.0,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.factory_id.to_string().cmp(&b.factory_id.to_string()))
        });
        found.truncate(MAX_CANDIDATES);
        Ok(found)
    }

    /// Remembers a factory the import registered, so that later rows match it exactly. It is
    /// no near-match candidate: a dry run rolls it back, and its id must not be offered.
    pub fn registered(
        &mut self,
        id: FactoryId,
        os_id: Option<&str>,
        name: &str,
        address: &str,
        country: &str,
    ) {
        if let Some(os) = os_id {
            self.by_os_id.insert(normalize_os_id(os), Some(id));
        }
        self.by_key
            .insert(dedup_key(name, address, country), Some(id));
    }

    fn country(&mut self, conn: &mut DbConnection, country: &str) -> Result<&CountryIndex, Error> {
        if !self.countries.contains_key(country) {
            let rows: Vec<(FactoryId, String, String)> = factories::table
                .filter(factories::country.eq(country))
                .select((factories::id, factories::name, factories::address))
                .load(conn)?;
            let mut index = CountryIndex::default();
            for (id, name, address) in rows {
                index.add(id, name, address);
            }
            self.countries.insert(country.to_string(), index);
        }
        Ok(&self.countries[country])
    }
}

fn trigrams(folded: &str) -> Vec<[char; 3]> {
    let padded: Vec<char> = format!(" {folded} ").chars().collect();
    padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_respelling_scores_high_and_another_factory_low() {
        let mut index = CountryIndex::default();
        let a = FactoryId::new();
        index.add(
            a,
            "Foxconn Precision Co., Ltd.".into(),
            "2 Donghuan Rd, Longhua".into(),
        );
        let score = |name: &str, address: &str| {
            0.7 * strsim::sorensen_dice(&fold(name), &index.entries[0].name_folded)
                + 0.3 * strsim::sorensen_dice(&fold(address), &index.entries[0].address_folded)
        };
        assert!(score("Foxconn Precision Company Ltd", "2 Donghuan Road, Longhua") >= NEAR);
        assert!(score("Quanta Shanghai Manufacturing", "68 Sanzhuang Rd") < NEAR);
        assert!(trigrams("ab").contains(&[' ', 'a', 'b']));
    }
}
