//! Table definitions shared by both backends. Only portable SQL types are used (see
//! docs/architecture.md): UUIDs and JSON are `Text`, instants are UTC `Timestamp`.

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        country -> Text,
        notification_emails -> Text,
        escalation_emails -> Text,
        language -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        organization_id -> Text,
        label -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    factories (id) {
        id -> Text,
        name -> Text,
        address -> Text,
        country -> Text,
        os_id -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        sector -> Nullable<Text>,
        workers -> Nullable<Integer>,
        parent_company -> Nullable<Text>,
        dedup_key -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    components (id) {
        id -> Text,
        name -> Text,
        parent_id -> Nullable<Text>,
        owner_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sourcing_links (id) {
        id -> Text,
        component_id -> Text,
        factory_id -> Text,
        tier -> Integer,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        disclosed_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        buyer_id -> Text,
        contractor_id -> Text,
        reference -> Text,
        title -> Text,
        starts_on -> Date,
        ends_on -> Date,
        value_amount -> Nullable<Text>,
        value_currency -> Nullable<Text>,
        ocds_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contract_items (id) {
        id -> Text,
        contract_id -> Text,
        component_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(api_tokens -> organizations (organization_id));
diesel::joinable!(sourcing_links -> components (component_id));
diesel::joinable!(sourcing_links -> factories (factory_id));
diesel::joinable!(contract_items -> contracts (contract_id));
diesel::joinable!(contract_items -> components (component_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    api_tokens,
    factories,
    components,
    sourcing_links,
    contracts,
    contract_items,
);
