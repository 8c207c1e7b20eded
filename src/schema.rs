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
        timezone -> Text,
        digest_hour -> Nullable<Integer>,
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
        framework_id -> Nullable<Text>,
    }
}

diesel::table! {
    organization_identifiers (scheme, identifier) {
        scheme -> Text,
        identifier -> Text,
        organization_id -> Text,
        created_at -> Timestamp,
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
diesel::joinable!(organization_identifiers -> organizations (organization_id));
diesel::joinable!(sourcing_links -> components (component_id));
diesel::joinable!(sourcing_links -> factories (factory_id));
diesel::joinable!(contract_items -> contracts (contract_id));
diesel::joinable!(contract_items -> components (component_id));

diesel::table! {
    findings (id) {
        id -> Text,
        monitor_id -> Text,
        factory_id -> Text,
        category -> Text,
        severity -> Text,
        title -> Text,
        description -> Text,
        observed_on -> Date,
        evidence -> Text,
        confidential_notes -> Nullable<Text>,
        worker_protection -> Bool,
        routed -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    finding_components (finding_id, component_id) {
        finding_id -> Text,
        component_id -> Text,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        finding_id -> Text,
        contractor_id -> Text,
        monitor_id -> Text,
        factory_id -> Text,
        category -> Text,
        severity -> Text,
        state -> Text,
        resume_state -> Nullable<Text>,
        escalation_level -> Integer,
        overdue -> Bool,
        opened_at -> Timestamp,
        acknowledge_due_at -> Timestamp,
        plan_due_at -> Timestamp,
        remediation_due_at -> Timestamp,
        next_due_at -> Nullable<Timestamp>,
        due_order -> Timestamp,
        plan -> Nullable<Text>,
        version -> Integer,
        event_count -> Integer,
        last_event_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        policy_version -> Text,
        paused_at -> Nullable<Timestamp>,
        paused_seconds -> BigInt,
        acknowledge_extended_to -> Nullable<Timestamp>,
        plan_extended_to -> Nullable<Timestamp>,
        remediation_extended_to -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        plan_submitted_at -> Nullable<Timestamp>,
        plan_accepted_at -> Nullable<Timestamp>,
        remediated_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        acknowledge_reminded_for -> Nullable<Timestamp>,
        plan_reminded_for -> Nullable<Timestamp>,
        remediation_reminded_for -> Nullable<Timestamp>,
        acknowledge_escalated_for -> Nullable<Timestamp>,
        plan_escalated_for -> Nullable<Timestamp>,
        remediation_escalated_for -> Nullable<Timestamp>,
        next_action_at -> Nullable<Timestamp>,
        max_escalation_level -> Integer,
        extension_request -> Nullable<Text>,
        legal_hold -> Bool,
        ever_disputed -> Integer,
        plan_first_time -> Nullable<Integer>,
    }
}

diesel::table! {
    case_contracts (case_id, contract_id) {
        case_id -> Text,
        contract_id -> Text,
        case_state -> Text,
        case_severity -> Text,
        case_level -> Integer,
        case_max_level -> Integer,
        case_next_due_at -> Nullable<Timestamp>,
        case_opened_at -> Nullable<Timestamp>,
        case_acknowledged_at -> Nullable<Timestamp>,
        case_plan_accepted_at -> Nullable<Timestamp>,
        case_updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        seq -> Integer,
        kind -> Text,
        at -> Timestamp,
        actor_organization_id -> Nullable<Text>,
        actor_token_id -> Nullable<Text>,
        payload -> Text,
        prev_hash -> Text,
        hash -> Text,
        dedup_key -> Nullable<Text>,
        actor_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        case_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        kind -> Text,
        recipient_organization_id -> Text,
        recipient_email -> Text,
        language -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        digest -> Bool,
        lease_token -> Nullable<Text>,
    }
}

diesel::table! {
    suppressed_addresses (email) {
        email -> Text,
        reason -> Text,
        notification_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deadline_policies (version) {
        version -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (organization_id, idempotency_key) {
        organization_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        display_name -> Text,
        language -> Text,
        role -> Text,
        active -> Bool,
        password_hash -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_links (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(sign_in_links -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(finding_components -> findings (finding_id));
diesel::joinable!(cases -> findings (finding_id));
diesel::joinable!(case_contracts -> cases (case_id));
diesel::joinable!(case_contracts -> contracts (contract_id));

// Kept by triggers on `case_contracts` (migration 2026-12-06-000010): open cases per contract,
// severity and level, and cases per contract and highest level reached (above 0).
diesel::table! {
    contract_open_figures (contract_id, case_severity, case_level) {
        contract_id -> Text,
        case_severity -> Text,
        case_level -> Integer,
        open_cases -> BigInt,
    }
}

diesel::table! {
    contract_max_levels (contract_id, case_max_level) {
        contract_id -> Text,
        case_max_level -> Integer,
        cases -> BigInt,
    }
}

diesel::joinable!(contract_open_figures -> contracts (contract_id));
diesel::joinable!(contract_max_levels -> contracts (contract_id));
diesel::joinable!(case_events -> cases (case_id));

diesel::table! {
    files (sha256) {
        sha256 -> Text,
        size -> BigInt,
        media_type -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        sha256 -> Text,
        finding_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        filename -> Text,
        label -> Nullable<Text>,
        confidential -> Bool,
        organization_id -> Text,
        user_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    file_purges (sha256, purged_at) {
        sha256 -> Text,
        size -> BigInt,
        attachments -> Integer,
        purged_at -> Timestamp,
    }
}

diesel::joinable!(attachments -> files (sha256));
diesel::joinable!(attachments -> cases (case_id));
diesel::joinable!(attachments -> findings (finding_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organization_identifiers,
    contracts,
    findings,
    finding_components,
    cases,
    case_contracts,
    contract_open_figures,
    contract_max_levels,
    case_events,
    components,
    contract_items,
    sourcing_links,
    factories,
    idempotency_keys,
    api_tokens,
    notifications,
    deadline_policies,
    suppressed_addresses,
    users,
    sign_in_links,
    sessions,
    files,
    attachments,
    file_purges,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    case_contracts::contract_id,
    cases::severity,
    cases::escalation_level,
);

diesel::table! {
    pending_imports (id) {
        id -> Text,
        organization_id -> Text,
        filename -> Text,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    change_counters (name, stripe) {
        name -> Text,
        stripe -> Integer,
        n -> BigInt,
    }
}
