"""The catalogue of target variants the power test runs the suite against.

Each variant is the reference server with exactly ONE rule broken (``harmless=False``: the
suite must fail the run and name every ID in ``breaks``) or with one difference our contract
allows (``harmless=True``: the suite must pass). A variant changes the server either by
``apply`` (monkeypatches of ``reference_impl`` made before ``create_app()``) or by ``wrap``
(pure ASGI middleware around the finished app), plus ``env`` (extra ``FN_*`` settings).
``areas`` are the suite modules worth running against it, kept minimal for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import broken_agent, broken_cluster, broken_http, broken_more, broken_rules, harmless

#: Every variant runs with this request size limit, and the suite is told so (FN-SEC-001).
MAX_REQUEST_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Variant:
    name: str
    harmless: bool
    #: Requirement IDs the suite must report as failed (empty for harmless variants).
    breaks: tuple[str, ...]
    #: Suite modules to run (``test_<area>``), selected with ``-k``.
    areas: tuple[str, ...]
    doc: str
    apply: Callable[[], None] | None = None
    wrap: Callable[[Any], Any] | None = None
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: uvicorn's HTTP implementation ("h11" keeps the case of response header names).
    http: str = "auto"
    #: Outcomes some requirements must end with (e.g. "disabled" for a declared capability).
    outcomes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Extra options for the suite run (``--fn-capability hybrid_api=off``, say).
    options: tuple[str, ...] = ()
    #: The suite gets a restart command for the variant's server.
    restart: bool = False
    #: The verdict status the run must end with, when it matters ("target-crashed").
    status: str = ""
    #: Nothing but ``breaks`` may fail: every other requirement the run judged passes.
    alone: bool = False
    #: Run it as a cluster (API node, two pure runners, an LB, all of this variant).
    cluster: bool = False
    #: Only the requirements matching these patterns (a broken cluster variant: its breaks).
    only: tuple[str, ...] = ()


def _broken(
    name: str, breaks: str | tuple[str, ...], areas: str | tuple[str, ...], doc: str, **kw: Any
) -> Variant:
    ids = (breaks,) if isinstance(breaks, str) else breaks
    modules = (areas,) if isinstance(areas, str) else areas
    return Variant(name, False, ids, modules, doc, **kw)


def _harmless(name: str, areas: str | tuple[str, ...], doc: str, **kw: Any) -> Variant:
    modules = (areas,) if isinstance(areas, str) else areas
    return Variant(name, True, (), modules, doc, **kw)


APPS, FNS, TRIGGERS = "test_apps", "test_fns", "test_triggers"
DELETES, PAGING, ANNOTATIONS = "test_deletes", "test_paging", "test_annotations"
SERVICE, BAD_INPUT, HYBRID = "test_service", "test_bad_input", "test_hybrid"
LIFECYCLE, SCHEMA = "test_lifecycle", "test_schema"
INVOKE, TRIGGER_CALLS, FDK, HOT, EVICTOR = (
    "test_invoke",
    "test_http_triggers",
    "test_fdk",
    "test_hot",
    "test_evictor",
)
LB_AREA, RUNNER, METRICS = "test_lb", "test_runner", "test_metrics"
#: The modules that run functions (the variant's node then gets memory and evictor nodes).
INVOKE_AREAS = (INVOKE, TRIGGER_CALLS, FDK, HOT, EVICTOR, METRICS)
#: The modules that need a cluster.
CLUSTER_AREAS = (LB_AREA, RUNNER)
#: Every management module of the suite: harmless variants must pass all of it.
ALL_AREAS = (
    SERVICE, APPS, FNS, TRIGGERS, ANNOTATIONS, DELETES, PAGING, HYBRID, BAD_INPUT,
    LIFECYCLE, SCHEMA,
)  # fmt: skip

VARIANTS: tuple[Variant, ...] = (
    # -- broken: routing and errors ------------------------------------------------------
    _broken(
        "wrong-method-404",
        "FN-ERR-002",
        SERVICE,
        "A known path with a method it does not serve answers 404 instead of 405.",
        apply=broken_http.wrong_method_answers_404,
    ),
    _broken(
        "unknown-path-html",
        "FN-ERR-003",
        SERVICE,
        "An unknown path answers 404 with an HTML page instead of a JSON error.",
        apply=broken_http.unknown_path_html,
    ),
    _broken(
        "errors-text-plain",
        "FN-ERR-004",
        SERVICE,
        "Every error body is the right JSON, but typed text/plain.",
        apply=broken_http.errors_typed_text_plain,
    ),
    _broken(
        "error-body-doubled",
        "FN-ERR-003",
        SERVICE,
        "Every error body holds the JSON error document twice.",
        apply=broken_http.error_body_doubled,
    ),
    _broken(
        "invalid-json-text-plain",
        "FN-ERR-004",
        BAD_INPUT,
        "Unparseable JSON is refused with 400 and a text/plain message (as upstream does).",
        apply=broken_http.invalid_json_typed_text_plain,
    ),
    _broken(
        "invalid-json-500",
        "FN-ERR-005",
        BAD_INPUT,
        "Unparseable JSON bodies crash the handler: 500.",
        apply=broken_http.invalid_json_answers_500,
    ),
    # -- broken: apps ----------------------------------------------------------------------
    _broken(
        "missing-app-200",
        "FN-APP-007",
        APPS,
        "GET of an unknown app answers 200 with a stub app.",
        apply=broken_rules.missing_app_answers_200,
    ),
    _broken(
        "app-name-dot",
        "FN-APP-005",
        APPS,
        "App names may contain '.'.",
        apply=broken_rules.app_name_accepts_dot,
    ),
    _broken(
        "app-name-unbounded",
        "FN-APP-004",
        APPS,
        "App names longer than 255 bytes are accepted.",
        apply=broken_rules.app_name_length_unbounded,
    ),
    _broken(
        "app-create-id-ignored",
        "FN-APP-002",
        APPS,
        "An id in an app create body is ignored (200) instead of refused.",
        apply=broken_rules.app_create_ignores_id,
    ),
    _broken(
        "app-duplicate-200",
        "FN-APP-006",
        APPS,
        "Creating an app with a taken name answers 200 with the existing app.",
        apply=broken_rules.app_duplicate_name_returns_existing,
    ),
    _broken(
        "app-put-renames",
        "FN-APP-009",
        APPS,
        "PUT with another name renames the app.",
        apply=broken_rules.app_put_renames,
    ),
    _broken(
        "app-put-body-id-ignored",
        "FN-APP-010",
        APPS,
        "PUT whose body id differs from the path updates the app anyway.",
        apply=broken_rules.app_put_ignores_body_id,
    ),
    _broken(
        "app-config-put-replaces",
        "FN-APP-008",
        APPS,
        "PUT replaces the app config instead of merging it per key.",
        apply=broken_rules.app_config_put_replaces,
    ),
    _broken(
        "app-name-filter-prefix",
        "FN-APP-014",
        APPS,
        "The app list filter 'name' also returns apps whose name starts with it.",
        apply=broken_rules.app_name_filter_matches_prefix,
    ),
    # -- broken: fns -----------------------------------------------------------------------
    _broken(
        "fn-default-memory-256",
        "FN-FN-001",
        FNS,
        "A fn created without memory gets 256 MB instead of 128.",
        apply=broken_rules.fn_default_memory_256,
    ),
    _broken(
        "fn-memory-unbounded",
        "FN-FN-005",
        FNS,
        "Fn memory above 8192 MB is accepted.",
        apply=broken_rules.fn_memory_unbounded,
    ),
    _broken(
        "fn-config-null",
        "FN-FN-012",
        FNS,
        "An empty fn config reads back as null on GET and list (as upstream does).",
        apply=broken_rules.fn_config_null_on_read,
    ),
    _broken(
        "fn-put-body-id-ignored",
        "FN-FN-010",
        FNS,
        "Fn PUT whose body id differs from the path updates the fn anyway.",
        apply=broken_rules.fn_put_ignores_body_id,
    ),
    _broken(
        "fn-list-without-app-id",
        "FN-FN-013",
        FNS,
        "Listing fns without app_id answers 200 with an empty list instead of 400.",
        apply=broken_rules.fn_list_without_app_id_lists_nothing,
    ),
    # -- broken: triggers ------------------------------------------------------------------
    _broken(
        "trigger-source-not-unique",
        "FN-TRG-006",
        TRIGGERS,
        "Two triggers of one app may share type and source.",
        apply=broken_rules.trigger_source_not_unique,
    ),
    _broken(
        "trigger-name-not-unique",
        "FN-TRG-008",
        TRIGGERS,
        "Two triggers of one fn may share a name.",
        apply=broken_rules.trigger_name_not_unique,
    ),
    _broken(
        "trigger-foreign-fn",
        "FN-TRG-005",
        TRIGGERS,
        "A trigger may point at a fn of another app.",
        apply=broken_rules.trigger_fn_of_other_app_accepted,
    ),
    _broken(
        "hybrid-always-404",
        "FN-HYB-001",
        HYBRID,
        "The runner API's triggerBySource answers 404 for every trigger.",
        apply=broken_rules.hybrid_lookup_always_404,
    ),
    # -- broken: deletes -------------------------------------------------------------------
    _broken(
        "delete-200-json",
        "FN-DEL-001",
        DELETES,
        "Deletes answer 200 with a JSON body instead of 204 with none.",
        apply=broken_rules.delete_answers_200_with_json,
    ),
    _broken(
        "app-delete-no-cascade",
        "FN-DEL-003",
        DELETES,
        "Deleting an app leaves its fns and triggers behind.",
        apply=broken_rules.app_delete_keeps_children,
    ),
    _broken(
        "fn-delete-no-cascade",
        "FN-DEL-004",
        DELETES,
        "Deleting a fn leaves its triggers behind.",
        apply=broken_rules.fn_delete_keeps_triggers,
    ),
    # -- broken: listing -------------------------------------------------------------------
    _broken(
        "per-page-unclamped",
        "FN-PAGE-002",
        PAGING,
        "per_page above 100 is not clamped.",
        apply=broken_http.per_page_not_clamped,
    ),
    _broken(
        "items-null-when-empty",
        "FN-PAGE-001",
        PAGING,
        'An empty list answers {"items": null}.',
        apply=broken_http.items_null_when_empty,
    ),
    _broken(
        "no-next-cursor",
        "FN-PAGE-003",
        PAGING,
        "A full page carries no next_cursor.",
        apply=broken_http.no_next_cursor,
    ),
    _broken(
        "cursor-skips-one",
        "FN-PAGE-004",
        PAGING,
        "Every page after the first starts one item late (one item per page is lost).",
        apply=broken_http.cursor_skips_one,
    ),
    _broken(
        "order-case-insensitive",
        "FN-PAGE-005",
        PAGING,
        "Lists are ordered by lower-cased name instead of byte order.",
        apply=broken_http.order_case_insensitive,
    ),
    _broken(
        "cursor-name-only",
        "FN-PAGE-006",
        PAGING,
        "The cursor holds the name only, so triggers with equal names on other fns are "
        "skipped (as upstream does).",
        apply=broken_http.cursor_by_name_only,
    ),
    _broken(
        "bad-cursor-500",
        "FN-PAGE-007",
        PAGING,
        "A cursor the server cannot decode crashes the list: 500.",
        apply=broken_http.bad_cursor_crashes,
    ),
    # -- broken: annotations ---------------------------------------------------------------
    _broken(
        "annotations-put-replaces",
        "FN-ANN-004",
        ANNOTATIONS,
        "PUT replaces the annotations instead of merging them per key.",
        apply=broken_rules.annotations_put_replaces,
    ),
    _broken(
        "annotation-count-unbounded",
        "FN-ANN-007",
        ANNOTATIONS,
        "More than 100 annotation keys are accepted.",
        apply=broken_rules.annotation_count_unbounded,
    ),
    # -- broken: limits --------------------------------------------------------------------
    _broken(
        "request-size-ignored",
        "FN-SEC-001",
        BAD_INPUT,
        "FN_MAX_REQUEST_SIZE is configured (and announced to the suite) but never applied.",
        apply=broken_http.request_size_limit_ignored,
    ),
    # -- broken: added probes ------------------------------------------------------------
    _broken(
        "fn-put-renames",
        "FN-FN-011",
        FNS,
        "PUT with another name renames the fn.",
        apply=broken_rules.fn_put_renames,
    ),
    _broken(
        "fn-name-not-unique",
        "FN-FN-007",
        FNS,
        "Two fns of one app may share a name.",
        apply=broken_rules.fn_name_not_unique,
    ),
    _broken(
        "trigger-put-source-clash",
        "FN-TRG-010",
        TRIGGERS,
        "Trigger PUT may move a trigger onto a source another trigger of the app holds "
        "(creates still keep the rule).",
        apply=broken_rules.trigger_put_ignores_source_rule,
    ),
    _broken(
        "trigger-list-ignores-fn-id",
        "FN-TRG-012",
        TRIGGERS,
        "The trigger list ignores its fn_id filter.",
        apply=broken_rules.trigger_list_ignores_fn_filter,
    ),
    _broken(
        "hybrid-ignores-app",
        "FN-HYB-001",
        HYBRID,
        "triggerBySource finds a trigger of any app with that type and source.",
        apply=broken_rules.hybrid_lookup_ignores_app,
    ),
    _broken(
        "annotation-key-space",
        "FN-ANN-005",
        ANNOTATIONS,
        "Annotation keys may contain spaces.",
        apply=broken_rules.annotation_key_with_space,
    ),
    _broken(
        "null-annotation-500",
        "FN-ERR-005",
        ANNOTATIONS,
        "A null annotation value crashes the server: 500 (as upstream does).",
        apply=broken_rules.null_annotation_value_crashes,
    ),
    _broken(
        "delete-missing-204",
        "FN-DEL-002",
        DELETES,
        "Deleting an entity that does not exist (any more) answers 204.",
        apply=broken_rules.delete_of_missing_answers_204,
    ),
    _broken(
        "app-without-created-at",
        "FN-APP-001",
        APPS,
        "Apps are rendered without created_at.",
        apply=broken_rules.app_without_created_at,
    ),
    _broken(
        "refused-create-leaves-app",
        "FN-SEC-005",
        BAD_INPUT,
        "An app create refused with 400 still stores an app of that name.",
        apply=broken_rules.refused_app_create_leaves_app,
    ),
    _broken(
        "integer-strings-coerced",
        "FN-SEC-002",
        BAD_INPUT,
        "Numeric strings are accepted for memory, timeout and idle_timeout.",
        apply=broken_http.integer_strings_coerced,
    ),
    _broken(
        "app-success-text-plain",
        "FN-ERR-007",
        APPS,
        "Successful app responses carry the right JSON typed text/plain.",
        apply=broken_http.app_success_typed_text_plain,
    ),
    _broken(
        "version-without-version",
        "FN-ERR-008",
        SERVICE,
        "GET /version answers JSON without a version.",
        apply=broken_http.version_without_version,
    ),
    _broken(
        "per-page-zero-means-one",
        "FN-PAGE-002",
        PAGING,
        "per_page 0 or below gives pages of one item instead of 30.",
        apply=broken_http.per_page_zero_means_one,
    ),
    # -- broken: the rest of the MUSTs ---------------------------------------------------
    _broken(
        "array-annotations-dropped",
        "FN-ANN-003",
        ANNOTATIONS,
        "Annotation values that are arrays are accepted but left out of every read.",
        apply=broken_more.array_annotations_dropped_on_read,
    ),
    _broken(
        "annotation-value-unbounded",
        "FN-ANN-006",
        ANNOTATIONS,
        "Annotation values over 512 bytes are accepted.",
        apply=broken_more.annotation_value_size_unbounded,
    ),
    _broken(
        "app-without-name-named",
        "FN-APP-003",
        APPS,
        "An app created without a name gets a made-up one instead of a 400.",
        apply=broken_more.app_without_name_gets_one,
    ),
    _broken(
        "app-put-missing-200",
        "FN-APP-011",
        APPS,
        "PUT of an unknown app answers 200 with a stub app.",
        apply=broken_more.app_put_of_missing_answers_200,
    ),
    _broken(
        "unknown-path-400",
        "FN-ERR-001",
        SERVICE,
        "An unknown path answers 400 instead of 404.",
        apply=broken_more.unknown_path_answers_400,
    ),
    _broken(
        "unparseable-json-422",
        "FN-ERR-006",
        BAD_INPUT,
        "A body that is not JSON is answered 422 instead of 400.",
        wrap=broken_more.unparseable_json_answers_422(),
    ),
    _broken(
        "created-at-number",
        "FN-ERR-010",
        SCHEMA,
        "Apps show created_at as a number, where the schema says a string.",
        apply=broken_more.created_at_as_epoch_number,
    ),
    _broken(
        "fn-create-id-ignored",
        "FN-FN-002",
        FNS,
        "An id in a fn create body is ignored (200) instead of refused.",
        apply=broken_more.fn_create_ignores_id,
    ),
    _broken(
        "fn-image-defaulted",
        "FN-FN-003",
        FNS,
        "A fn created without an image gets a default image instead of a 400.",
        apply=broken_more.fn_image_defaults,
    ),
    _broken(
        "fn-name-unicode",
        "FN-FN-004",
        FNS,
        "Fn names may hold Unicode letters.",
        apply=broken_more.fn_name_accepts_unicode,
    ),
    _broken(
        "fn-unknown-app-400",
        "FN-FN-006",
        FNS,
        "A valid fn for an unknown app answers 400 instead of 404.",
        apply=broken_more.fn_unknown_app_answers_400,
    ),
    _broken(
        "fn-get-missing-200",
        "FN-FN-008",
        FNS,
        "GET of an unknown fn answers 200 with a stub fn.",
        apply=broken_more.fn_get_of_missing_answers_200,
    ),
    _broken(
        "fn-put-keeps-image",
        "FN-FN-009",
        FNS,
        "Fn PUT ignores a new image.",
        apply=broken_more.fn_put_keeps_image,
    ),
    _broken(
        "trigger-name-filter-wins",
        "FN-PAGE-008",
        PAGING,
        "Listing triggers by fn_id and name filters by the name only.",
        apply=broken_more.trigger_list_name_overrides_fn_filter,
    ),
    _broken(
        "null-put-body-200",
        "FN-SEC-003",
        BAD_INPUT,
        "A PUT with a null body is an empty change answered 200 (as upstream does).",
        apply=broken_more.null_put_body_changes_nothing,
    ),
    _broken(
        "trigger-create-without-source",
        "FN-TRG-001",
        TRIGGERS,
        "The answer to a trigger create has no source.",
        apply=broken_more.trigger_create_answer_without_source,
    ),
    _broken(
        "trigger-created-at-ignored",
        "FN-TRG-002",
        TRIGGERS,
        "created_at in a trigger create body is ignored instead of refused.",
        apply=broken_more.trigger_create_ignores_created_at,
    ),
    _broken(
        "trigger-source-without-slash",
        "FN-TRG-003",
        TRIGGERS,
        "A trigger source without a leading '/' is accepted.",
        apply=broken_more.trigger_source_without_slash,
    ),
    _broken(
        "trigger-name-dot",
        "FN-TRG-004",
        TRIGGERS,
        "Trigger names may contain '.'.",
        apply=broken_more.trigger_name_accepts_dot,
    ),
    _broken(
        "trigger-get-missing-200",
        "FN-TRG-009",
        TRIGGERS,
        "GET of an unknown trigger answers 200 with a stub trigger.",
        apply=broken_more.trigger_get_of_missing_answers_200,
    ),
    _broken(
        "trigger-put-body-id-ignored",
        "FN-TRG-011",
        TRIGGERS,
        "Trigger PUT whose body id differs from the path updates the trigger anyway.",
        apply=broken_more.trigger_put_ignores_body_id,
    ),
    # -- broken: targets that die, wedge, or break two rules in one answer ----------------
    _broken(
        "exits-on-nul-path",
        "FN-ERR-005",
        BAD_INPUT,
        "The process exits on a path id with a NUL (as upstream 0.3.753): without a restart "
        "command the run stops there and says the target crashed.",
        apply=broken_more.exits_on_nul_in_path,
        status="target-crashed",
    ),
    _broken(
        "exits-on-nul-path-restarted",
        "FN-ERR-005",
        (APPS, BAD_INPUT),
        "The same, with a restart command: the crash is reported, the suite restarts the "
        "target and goes on, and nothing else fails (no suite error, nothing left unjudged).",
        apply=broken_more.exits_on_nul_in_path,
        restart=True,
        status="not-conformant",
        alone=True,
    ),
    _broken(
        "wedges-on-null-annotation",
        ("FN-ANN-006", "FN-ERR-005"),
        ANNOTATIONS,
        "A PUT with a null annotation value answers 500, then every datastore request hangs "
        "while / still answers (as upstream 0.3.753).",
        apply=broken_more.wedges_on_null_annotation,
        status="target-crashed",
    ),
    _broken(
        "two-faults-in-one-answer",
        ("FN-FN-010", "FN-ERR-003"),
        FNS,
        "A fn PUT naming another fn in its body updates that one and answers two JSON "
        "documents (as upstream): both faults are reported.",
        apply=broken_more.fn_put_doubles_error_and_updates_other,
    ),
    # -- harmless --------------------------------------------------------------------------
    _harmless(
        "cursor-hex",
        (PAGING, LIFECYCLE, SCHEMA),
        "Cursors are hex text instead of base64 (cursors are opaque).",
        apply=harmless.cursor_as_hex,
    ),
    _harmless(
        "cursor-token",
        (PAGING, LIFECYCLE, SCHEMA),
        "Cursors are random tokens mapped to positions inside the server.",
        apply=harmless.cursor_as_token,
    ),
    _harmless(
        "extra-entity-fields",
        ALL_AREAS,
        "Every app, fn and trigger carries extra fields the swagger does not name.",
        apply=harmless.extra_entity_fields,
    ),
    _harmless(
        "reordered-keys",
        ALL_AREAS,
        "JSON responses list their keys in reverse order.",
        wrap=harmless.reordered_keys,
    ),
    _harmless(
        "pretty-json",
        ALL_AREAS,
        "JSON responses are indented, with non-ASCII text as \\u escapes.",
        wrap=harmless.pretty_json,
    ),
    _harmless(
        "header-case",
        ALL_AREAS,
        "Response header names in mixed case, 'application/json; charset=utf-8', and "
        "extra headers (Cache-Control, Vary, X-Request-Id).",
        wrap=harmless.header_case_and_extra_headers,
        http="h11",
    ),
    _harmless(
        "latency-50ms",
        (APPS, LIFECYCLE),
        "Every request waits 50 ms before it is handled.",
        wrap=harmless.latency(0.05),
    ),
    _harmless(
        "injected-annotations",
        ALL_AREAS,
        "The datastore injects an annotation of its own into every entity it reads.",
        env={"FN_DS_EXTRA_ANNOTATIONS": '{"example.com/injected":"yes"}'},
    ),
    _harmless(
        "unknown-fields-ignored",
        ALL_AREAS,
        "Unknown body fields are dropped (as upstream does) instead of refused with 400.",
        apply=harmless.unknown_fields_ignored,
    ),
    _harmless(
        "runner-api-absent",
        (HYBRID, SERVICE),
        "The runner API is not served and the user declares hybrid_api off: the hybrid area "
        "is disabled, not failed.",
        apply=harmless.no_runner_api,
        options=("--fn-capability", "hybrid_api=off"),
        outcomes=MappingProxyType({"FN-HYB-001": "disabled"}),
    ),
    _harmless(
        "unicode-3-2-tables",
        (APPS, TRIGGERS, PAGING, LIFECYCLE, SCHEMA, BAD_INPUT),
        "Names are checked with Unicode 3.2's tables, as on a server with an older runtime.",
        apply=harmless.unicode_3_2_name_tables,
    ),
    _harmless(
        "uuid-ids",
        ALL_AREAS,
        "Ids are UUIDs (ids are opaque): every MUST passes; only the SHOULD for upstream's "
        "id form fails.",
        apply=harmless.uuid_ids,
        outcomes=MappingProxyType({"FN-APP-017": "failed"}),
    ),
    _harmless(
        "reworded-errors",
        (*ALL_AREAS, *INVOKE_AREAS),
        "Error messages are worded differently; statuses and the body shape stay.",
        apply=harmless.reworded_errors,
    ),
    # -- broken: /invoke -------------------------------------------------------------------
    _broken("invoke-drops-headers", "FN-INV-001", INVOKE,
            "/invoke answers the function's body but none of its headers but Content-Type.",
            apply=broken_agent.invoke_drops_function_headers),
    _broken("invoke-truncates-bodies", "FN-INV-002", INVOKE,
            "Request bodies reach the function cut at 64 KiB.",
            apply=broken_agent.invoke_truncates_bodies),
    _broken("lost-call-id", ("FN-INV-003", "FN-HTT-007"), (INVOKE, TRIGGER_CALLS),
            "Invoke and trigger answers lose their Fn-Call-Id header.",
            wrap=broken_agent.lose_call_id),
    _broken("invoke-honours-fn-http-status", "FN-INV-004", INVOKE,
            "/invoke answers with the status the function set in Fn-Http-Status.",
            apply=broken_agent.invoke_honours_fn_http_status),
    _broken("invoke-transforms-headers", "FN-INV-005", INVOKE,
            "/invoke renames the client's headers and adds Fn-Intent, as triggers do.",
            apply=broken_agent.invoke_transforms_like_a_trigger),
    _broken("unknown-fn-invoke-500", "FN-INV-006", INVOKE,
            "/invoke of an unknown fn answers 500.", apply=broken_agent.unknown_fn_invoke_500),
    _broken("invoke-any-method", "FN-INV-007", INVOKE,
            "/invoke runs the fn for every method.", wrap=broken_agent.invoke_takes_any_method),
    _broken("no-memory-check", "FN-INV-008", INVOKE,
            "A fn that can never fit the node is not refused; its calls wait forever.",
            apply=broken_agent.no_memory_check),
    _broken("invoke-no-size-limit", "FN-INV-009", INVOKE,
            "/invoke takes bodies over the request limit.",
            apply=broken_agent.invoke_no_size_limit),
    # -- broken: HTTP triggers ---------------------------------------------------------------
    _broken("trigger-post-only", "FN-HTT-001", TRIGGER_CALLS,
            "Triggers run only for POST; other methods answer 404.",
            wrap=broken_agent.trigger_post_only),
    _broken("trigger-headers-unprefixed", "FN-HTT-002", TRIGGER_CALLS,
            "Triggers pass the client's headers without the Fn-Http-H- prefix.",
            apply=broken_agent.trigger_headers_unprefixed),
    _broken("trigger-ignores-fn-http-status", "FN-HTT-003", TRIGGER_CALLS,
            "Triggers answer 200 whatever Fn-Http-Status says.",
            apply=broken_agent.ignores_fn_http_status),
    _broken("trigger-keeps-prefix", "FN-HTT-004", TRIGGER_CALLS,
            "Function headers reach the trigger's client with the Fn-Http-H- prefix still on.",
            apply=broken_agent.trigger_keeps_prefix),
    _broken("trigger-matches-prefix", "FN-HTT-006", TRIGGER_CALLS,
            "An unknown source runs the trigger of its parent path.",
            apply=broken_agent.trigger_matches_prefix),
    # -- broken: the function contract -------------------------------------------------------
    _broken("memory-in-bytes", "FN-FDK-001", FDK,
            "FN_MEMORY is given in bytes, not MB.", apply=broken_agent.memory_in_bytes),
    _broken("app-config-wins", "FN-FDK-002", FDK,
            "The app's config overrides the fn's.", apply=broken_agent.app_config_wins),
    _broken("leaks-server-env", "FN-FDK-003", FDK,
            "Functions see the server's environment.", apply=broken_agent.leaks_server_env),
    _broken("no-deadline", "FN-FDK-004", FDK,
            "Calls reach the function without Fn-Deadline.", apply=broken_agent.no_deadline),
    _broken("crash-answers-200", "FN-FDK-005", FDK,
            "A function that crashes mid-call gives 200 with an empty body.",
            apply=broken_agent.crash_answers_200),
    _broken("exit-at-start-504", "FN-FDK-006", FDK,
            "A function that exits before listening answers 504 as if it were slow.",
            apply=broken_agent.exit_at_start_times_out),
    _broken("no-call-timeout", "FN-FDK-007", FDK,
            "The fn's timeout is not enforced.", apply=broken_agent.no_call_timeout),
    _broken("timeout-from-arrival", "FN-FDK-008", FDK,
            "The fn's timeout counts from the request's arrival (a slow start uses it up).",
            apply=broken_agent.timeout_from_arrival),
    # -- broken: hot containers ---------------------------------------------------------------
    _broken("no-reuse", "FN-HOT-001", HOT,
            "Every container serves one call and is stopped.", apply=broken_agent.no_reuse),
    _broken("shares-busy-containers", "FN-HOT-002", HOT,
            "A call with no idle container joins a busy one.",
            apply=broken_agent.shares_busy_containers),
    _broken("ignores-fn-changes", "FN-HOT-003", HOT,
            "Containers keep serving a fn after its config, memory or timeout changed.",
            apply=broken_agent.ignores_fn_changes),
    _broken("no-idle-expiry", "FN-HOT-004", HOT,
            "Idle containers never exit.", apply=broken_agent.no_idle_expiry),
    # -- broken: the evictor ---------------------------------------------------------------------
    _broken("no-evictor", "FN-EVI-001", EVICTOR,
            "Idle containers are never evicted.", apply=broken_agent.no_evictor),
    _broken("evicts-busy", "FN-EVI-002", EVICTOR,
            "Busy containers are evicted too.", apply=broken_agent.evicts_busy),
    # -- harmless: the agent ---------------------------------------------------------------------
    _harmless("slow-cold-start", INVOKE_AREAS,
              "Every container takes 0.5 s longer to start.", apply=harmless.slow_cold_start),
    _harmless("extra-response-header", (*INVOKE_AREAS, SERVICE, APPS),
              "Every answer carries one more header.", wrap=harmless.extra_response_header),
    _harmless("uuid-container-ids", INVOKE_AREAS,
              "Containers are named with UUIDs.", apply=harmless.uuid_container_ids),
    _harmless("lookup-cache", INVOKE_AREAS,
              "Invoke reuses what it read for 5 s, as upstream does.",
              env=MappingProxyType({"FN_LOOKUP_CACHE_MSECS": "5000"})),
    # -- broken: hybrid invoke through the LB --------------------------------------------------
    _broken("lb-cache-forever", "FN-HYB-002", LB_AREA,
            "The LB keeps what it read for an hour: a deleted trigger still runs.",
            apply=broken_cluster.lb_cache_forever, cluster=True),
    _broken("lb-unknown-500", "FN-HYB-003", LB_AREA,
            "An unknown app, fn or trigger at the LB answers 500 (upstream's bug 12).",
            apply=broken_cluster.lb_unknown_500, cluster=True),
    # -- broken: the LB ---------------------------------------------------------------------------
    _broken("lb-truncates-bodies", "FN-LB-001", LB_AREA,
            "The LB sends runners only the first 10 KiB of a body.",
            apply=broken_cluster.lb_truncates_bodies, cluster=True),
    _broken("lb-drops-fn-http-status", "FN-LB-002", LB_AREA,
            "The LB loses Fn-Http-Status: triggers through it answer 200.",
            apply=broken_cluster.lb_drops_fn_http_status, cluster=True),
    _broken("lb-errors-500", "FN-LB-003", LB_AREA,
            "Every runner error reaches the LB's client as 500.",
            apply=broken_cluster.lb_errors_500, cluster=True),
    _broken("lb-hangs-on-lost-runner", "FN-LB-004", LB_AREA,
            "A call whose runner dies is never answered.",
            apply=broken_cluster.lb_hangs_on_lost_runner, cluster=True),
    _broken("lb-placer-default-buckets", "FN-LB-005", LB_AREA,
            "The placer latency histogram has the API's buckets, not the fine ones.",
            apply=broken_cluster.lb_placer_default_buckets, cluster=True),
    _broken("lb-placements-not-counted", "FN-LB-006", LB_AREA,
            "Placed calls do not show in the placer latency.",
            apply=broken_cluster.lb_placements_not_counted, cluster=True),
    # -- broken: runner Status ---------------------------------------------------------------------
    _broken("status-counts-wrong", "FN-RUN-001", RUNNER,
            "Status says the runner handled more requests than it received.",
            apply=broken_cluster.status_counts_wrong, cluster=True),
    _broken("status-ignores-image", "FN-RUN-002", RUNNER,
            "Status answers the counters only, though a status image is configured.",
            apply=broken_cluster.status_ignores_image, cluster=True),
    _broken("status-not-cached", "FN-RUN-003", RUNNER,
            "Every Status runs the status image again.",
            apply=broken_cluster.status_not_cached, cluster=True),
    _broken("status-cancelled-with-client", "FN-RUN-004", RUNNER,
            "A client that gives up on Status cancels the status run.",
            apply=broken_cluster.status_cancelled_with_client, cluster=True),
    _broken("status-runs-not-shared", "FN-RUN-005", RUNNER,
            "Each concurrent Status request starts a status run of its own.",
            apply=broken_cluster.status_runs_not_shared, cluster=True),
    _broken("runs-status-image", "FN-RUN-006", RUNNER,
            "Regular calls may run the status image.",
            apply=broken_cluster.runs_status_image, cluster=True),
    # -- broken: metrics ---------------------------------------------------------------------------
    _broken("metrics-as-json", "FN-MET-001", METRICS,
            "/metrics answers JSON.", wrap=broken_cluster.metrics_as_json),
    _broken("api-metrics-frozen", "FN-MET-002", METRICS,
            "API requests are not counted.", apply=broken_cluster.api_metrics_frozen),
    _broken("agent-metrics-frozen", "FN-MET-003", METRICS,
            "Calls are not counted.", apply=broken_cluster.agent_metrics_frozen),
    # -- harmless: the cluster ---------------------------------------------------------------------
    _harmless("lb-no-lookup-cache", CLUSTER_AREAS,
              "The LB reads from the API node on every call (no lookup cache).",
              env=MappingProxyType({"FN_LOOKUP_CACHE_MSECS": "0"}), cluster=True,
              only=("FN-HYB-*", "FN-LB-001", "FN-LB-002", "FN-LB-003", "FN-RUN-00[1-3]")),
    _harmless("lb-lookup-cache-5s", (LB_AREA,),
              "The LB keeps lookups for 5 s, as upstream does.",
              env=MappingProxyType({"FN_LOOKUP_CACHE_MSECS": "5000"}), cluster=True,
              only=("FN-HYB-*", "FN-LB-001")),
    _harmless("lb-reverse-order", (LB_AREA,),
              "The placer walks the runners in the other order.",
              apply=broken_cluster.lb_reverse_order, cluster=True,
              only=("FN-LB-001", "FN-LB-006", "FN-LB-007")),
)  # fmt: skip


def by_name(name: str) -> Variant:
    for variant in VARIANTS:
        if variant.name == name:
            return variant
    known = ", ".join(v.name for v in VARIANTS)
    raise KeyError(f"unknown variant {name!r} (known: {known})")


__all__ = ["MAX_REQUEST_SIZE", "VARIANTS", "Variant", "by_name"]
