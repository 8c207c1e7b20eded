//! The columns of a disclosure list: their keys, their headers in the four languages, and how a
//! file's header row maps onto them. A file may use the headers of any of the languages (a
//! Dutch template filled in stays a valid file when sent by a French-speaking colleague), in
//! any order and case; extra columns are refused so that a misspelt header is not silently
//! ignored.

use crate::values::Language;

/// One column of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    ContractReferences,
    ProductModel,
    ComponentPath,
    FactoryName,
    Address,
    Country,
    OsId,
    Tier,
    ValidFrom,
    ValidTo,
    Sector,
    Workers,
    ParentCompany,
    Latitude,
    Longitude,
}

/// Every column in the order of the template and of the export.
pub const ALL: [Col; 15] = [
    Col::ContractReferences,
    Col::ProductModel,
    Col::ComponentPath,
    Col::FactoryName,
    Col::Address,
    Col::Country,
    Col::OsId,
    Col::Tier,
    Col::ValidFrom,
    Col::ValidTo,
    Col::Sector,
    Col::Workers,
    Col::ParentCompany,
    Col::Latitude,
    Col::Longitude,
];

/// The separator of several contract references in one cell, and of the levels of a
/// component path.
pub const REFERENCE_SEPARATOR: char = ';';
pub const PATH_SEPARATOR: char = '>';

impl Col {
    /// Whether a file must have this column (its cells may still be empty where the column
    /// allows it: no contract yet, a link on the product model itself, no OS ID, no end).
    pub fn required(self) -> bool {
        matches!(
            self,
            Col::ContractReferences
                | Col::ProductModel
                | Col::ComponentPath
                | Col::FactoryName
                | Col::Address
                | Col::Country
                | Col::OsId
                | Col::Tier
                | Col::ValidFrom
                | Col::ValidTo
        )
    }

    /// The stable key, used in reports (`column`) and in the JSON of a row.
    pub fn key(self) -> &'static str {
        match self {
            Col::ContractReferences => "contract_references",
            Col::ProductModel => "product_model",
            Col::ComponentPath => "component_path",
            Col::FactoryName => "factory_name",
            Col::Address => "address",
            Col::Country => "country",
            Col::OsId => "os_id",
            Col::Tier => "tier",
            Col::ValidFrom => "valid_from",
            Col::ValidTo => "valid_to",
            Col::Sector => "sector",
            Col::Workers => "number_of_workers",
            Col::ParentCompany => "parent_company",
            Col::Latitude => "latitude",
            Col::Longitude => "longitude",
        }
    }

    /// The header in `lang`.
    pub fn header(self, lang: Language) -> &'static str {
        let [en, nl, fr, de] = self.headers();
        match lang {
            Language::En => en,
            Language::Nl => nl,
            Language::Fr => fr,
            Language::De => de,
        }
    }

    /// The headers in English, Dutch, French and German.
    fn headers(self) -> [&'static str; 4] {
        match self {
            Col::ContractReferences => [
                "contract references",
                "contractreferenties",
                "références des marchés",
                "Vertragsreferenzen",
            ],
            Col::ProductModel => [
                "product model",
                "productmodel",
                "modèle de produit",
                "Produktmodell",
            ],
            Col::ComponentPath => [
                "component path",
                "componentpad",
                "chemin du composant",
                "Komponentenpfad",
            ],
            Col::FactoryName => [
                "factory name",
                "naam fabriek",
                "nom de l'usine",
                "Name der Fabrik",
            ],
            Col::Address => ["address", "adres", "adresse", "Adresse"],
            Col::Country => ["country", "land", "pays", "Land"],
            Col::OsId => ["OS ID", "OS ID", "OS ID", "OS ID"],
            Col::Tier => ["tier", "niveau", "rang", "Stufe"],
            Col::ValidFrom => ["valid from", "geldig vanaf", "valable du", "gültig ab"],
            Col::ValidTo => ["valid to", "geldig tot", "valable jusqu'au", "gültig bis"],
            Col::Sector => ["sector", "sector", "secteur", "Sektor"],
            Col::Workers => [
                "number of workers",
                "aantal werknemers",
                "nombre de travailleurs",
                "Anzahl der Beschäftigten",
            ],
            Col::ParentCompany => [
                "parent company",
                "moederbedrijf",
                "société mère",
                "Muttergesellschaft",
            ],
            Col::Latitude => ["latitude", "breedtegraad", "latitude", "Breitengrad"],
            Col::Longitude => ["longitude", "lengtegraad", "longitude", "Längengrad"],
        }
    }

    /// What the column holds, for the template's second sheet and the docs.
    pub fn explanation(self, lang: Language) -> &'static str {
        let [en, nl, fr, de] = match self {
            Col::ContractReferences => [
                "The references of your contracts (as the buyer wrote them) that deliver this product model, separated by ';'. May be empty.",
                "De referenties van uw contracten (zoals de koper ze schreef) die dit productmodel leveren, gescheiden door ';'. Mag leeg zijn.",
                "Les références de vos marchés (telles que l'acheteur les a écrites) qui livrent ce modèle, séparées par ';'. Peut être vide.",
                "Die Referenzen Ihrer Verträge (wie der Auftraggeber sie schrieb), die dieses Produktmodell liefern, getrennt durch ';'. Darf leer sein.",
            ],
            Col::ProductModel => [
                "The product model, e.g. 'Laptop X14 Gen 3'. Required.",
                "Het productmodel, bv. 'Laptop X14 Gen 3'. Verplicht.",
                "Le modèle de produit, p. ex. 'Laptop X14 Gen 3'. Obligatoire.",
                "Das Produktmodell, z. B. 'Laptop X14 Gen 3'. Pflichtfeld.",
            ],
            Col::ComponentPath => [
                "The component under the product model, each level separated by '>', e.g. 'Mainboard > Battery cell'. Empty: the product model itself.",
                "Het onderdeel onder het productmodel, elk niveau gescheiden door '>', bv. 'Moederbord > Batterijcel'. Leeg: het productmodel zelf.",
                "Le composant sous le modèle, chaque niveau séparé par '>', p. ex. 'Carte mère > Cellule de batterie'. Vide : le modèle lui-même.",
                "Die Komponente unter dem Produktmodell, Ebenen getrennt durch '>', z. B. 'Hauptplatine > Akkuzelle'. Leer: das Produktmodell selbst.",
            ],
            Col::FactoryName => [
                "The factory's name. Required.",
                "De naam van de fabriek. Verplicht.",
                "Le nom de l'usine. Obligatoire.",
                "Der Name der Fabrik. Pflichtfeld.",
            ],
            Col::Address => [
                "The factory's street address. Required.",
                "Het adres van de fabriek. Verplicht.",
                "L'adresse de l'usine. Obligatoire.",
                "Die Anschrift der Fabrik. Pflichtfeld.",
            ],
            Col::Country => [
                "Two-letter ISO 3166 country code, e.g. CN, VN, MY. Required.",
                "Landcode van twee letters (ISO 3166), bv. CN, VN, MY. Verplicht.",
                "Code pays ISO 3166 à deux lettres, p. ex. CN, VN, MY. Obligatoire.",
                "Zweibuchstabiger ISO-3166-Ländercode, z. B. CN, VN, MY. Pflichtfeld.",
            ],
            Col::OsId => [
                "The factory's Open Supply Hub ID, when it has one. It identifies the factory best.",
                "Het Open Supply Hub-ID van de fabriek, als die er een heeft. Het identificeert de fabriek het best.",
                "L'identifiant Open Supply Hub de l'usine, s'il existe. C'est la meilleure identification.",
                "Die Open-Supply-Hub-ID der Fabrik, falls vorhanden. Sie identifiziert die Fabrik am besten.",
            ],
            Col::Tier => [
                "1 for final assembly, 2 and up for the makers of components. Required.",
                "1 voor eindassemblage, 2 en hoger voor makers van onderdelen. Verplicht.",
                "1 pour l'assemblage final, 2 et plus pour les fabricants de composants. Obligatoire.",
                "1 für die Endmontage, 2 und höher für Hersteller von Komponenten. Pflichtfeld.",
            ],
            Col::ValidFrom => [
                "First day the component is made there, as YYYY-MM-DD. Required.",
                "Eerste dag dat het onderdeel daar gemaakt wordt, als JJJJ-MM-DD. Verplicht.",
                "Premier jour où le composant y est fabriqué, au format AAAA-MM-JJ. Obligatoire.",
                "Erster Tag, an dem die Komponente dort hergestellt wird, als JJJJ-MM-TT. Pflichtfeld.",
            ],
            Col::ValidTo => [
                "Last day, as YYYY-MM-DD; empty while it lasts.",
                "Laatste dag, als JJJJ-MM-DD; leeg zolang het duurt.",
                "Dernier jour, au format AAAA-MM-JJ ; vide tant que cela dure.",
                "Letzter Tag, als JJJJ-MM-TT; leer, solange es andauert.",
            ],
            Col::Sector => [
                "Optional: the factory's sector, e.g. Electronics.",
                "Optioneel: de sector van de fabriek, bv. Elektronica.",
                "Facultatif : le secteur de l'usine, p. ex. Électronique.",
                "Optional: die Branche der Fabrik, z. B. Elektronik.",
            ],
            Col::Workers => [
                "Optional: the number of workers, a whole number.",
                "Optioneel: het aantal werknemers, een geheel getal.",
                "Facultatif : le nombre de travailleurs, un nombre entier.",
                "Optional: die Zahl der Beschäftigten, eine ganze Zahl.",
            ],
            Col::ParentCompany => [
                "Optional: the group the factory belongs to.",
                "Optioneel: de groep waartoe de fabriek behoort.",
                "Facultatif : le groupe auquel appartient l'usine.",
                "Optional: der Konzern, zu dem die Fabrik gehört.",
            ],
            Col::Latitude => [
                "Optional: degrees north, e.g. 22.5431 (a point, not a comma).",
                "Optioneel: graden noord, bv. 22.5431 (een punt, geen komma).",
                "Facultatif : degrés nord, p. ex. 22.5431 (un point, pas une virgule).",
                "Optional: Grad Nord, z. B. 22.5431 (Punkt, kein Komma).",
            ],
            Col::Longitude => [
                "Optional: degrees east, e.g. 114.0579.",
                "Optioneel: graden oost, bv. 114.0579.",
                "Facultatif : degrés est, p. ex. 114.0579.",
                "Optional: Grad Ost, z. B. 114.0579.",
            ],
        };
        match lang {
            Language::En => en,
            Language::Nl => nl,
            Language::Fr => fr,
            Language::De => de,
        }
    }

    /// The column a header names, in any of the languages, ignoring case, spacing, and the
    /// underscores of the keys.
    pub fn from_header(raw: &str) -> Option<Col> {
        let h = fold(raw);
        ALL.into_iter()
            .find(|c| fold(c.key()) == h || c.headers().iter().any(|name| fold(name) == h))
    }
}

fn fold(s: &str) -> String {
    s.trim_start_matches('\u{feff}')
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where each column is in a file.
#[derive(Debug, Clone)]
pub struct Layout {
    index: [Option<usize>; ALL.len()],
}

impl Layout {
    /// Reads the header row. A missing required column, an unknown header or a column named
    /// twice is an error that lists what the format expects.
    pub fn from_headers(headers: &[String]) -> Result<Layout, String> {
        let mut index = [None; ALL.len()];
        let mut unknown = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if h.trim().is_empty() {
                continue;
            }
            match Col::from_header(h) {
                Some(c) => {
                    let slot = &mut index[position(c)];
                    if slot.is_some() {
                        return Err(format!("the column {h:?} appears twice"));
                    }
                    *slot = Some(i);
                }
                None => unknown.push(h.trim().to_string()),
            }
        }
        let missing: Vec<&str> = ALL
            .iter()
            .filter(|c| c.required() && index[position(**c)].is_none())
            .map(|c| c.header(Language::En))
            .collect();
        if missing.is_empty() && unknown.is_empty() {
            return Ok(Layout { index });
        }
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!("missing columns: {}", missing.join(", ")));
        }
        if !unknown.is_empty() {
            why.push(format!("unknown columns: {}", unknown.join(", ")));
        }
        Err(format!(
            "{}. The first row must name the columns: {} (optional: {}), in any of the four languages of the template",
            why.join("; "),
            ALL.iter()
                .filter(|c| c.required())
                .map(|c| c.header(Language::En))
                .collect::<Vec<_>>()
                .join(", "),
            ALL.iter()
                .filter(|c| !c.required())
                .map(|c| c.header(Language::En))
                .collect::<Vec<_>>()
                .join(", "),
        ))
    }

    /// The trimmed cell of `col` in `record`; empty when the column or the cell is absent.
    pub fn cell<'a>(&self, record: &'a [String], col: Col) -> &'a str {
        self.index[position(col)]
            .and_then(|i| record.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

fn position(c: Col) -> usize {
    ALL.iter().position(|x| *x == c).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_language_name_the_same_columns() {
        for lang in [Language::En, Language::Nl, Language::Fr, Language::De] {
            for c in ALL {
                assert_eq!(Col::from_header(c.header(lang)), Some(c), "{lang:?} {c:?}");
                assert_eq!(Col::from_header(&c.header(lang).to_uppercase()), Some(c));
            }
        }
        assert_eq!(
            Col::from_header("\u{feff}Contract_References"),
            Some(Col::ContractReferences)
        );
        assert_eq!(Col::from_header("colour"), None);
    }

    #[test]
    fn a_missing_or_unknown_column_is_named() {
        let headers: Vec<String> = ["product model", "factory name", "colour"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let e = Layout::from_headers(&headers).unwrap_err();
        assert!(
            e.contains("missing columns: contract references, component path, address"),
            "{e}"
        );
        assert!(e.contains("unknown columns: colour"), "{e}");
        let all: Vec<String> = ALL
            .iter()
            .map(|c| c.header(Language::Nl).to_string())
            .collect();
        let layout = Layout::from_headers(&all).unwrap();
        let mut row = vec![String::new(); ALL.len()];
        row[3] = "  Acme  ".into();
        assert_eq!(layout.cell(&row, Col::FactoryName), "Acme");
    }
}
