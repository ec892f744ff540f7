"""Block types and documents: settings, the alert webhook, secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployments.setup._config import SetupConfig, SetupReport


def blocks(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> Any:
    """Register block types, create/fix documents; return the alert block's document id."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound
    from prefect_sqlalchemy import SqlAlchemyConnector

    from blocks import (
        ALERT_BLOCK,
        DATABASE_BLOCK,
        SETTINGS_BLOCK,
        HirehoundSettings,
        connector_from_url,
    )

    for cls in (SqlAlchemyConnector, HirehoundSettings, CustomWebhookNotificationBlock, Secret):
        slug = cls.get_block_type_slug()
        try:
            client.read_block_schema_by_checksum(
                checksum=cls._calculate_schema_checksum(), version=cls.get_block_schema_version()
            )
            client.read_block_type_by_slug(slug)
            report.add("block type", slug, "unchanged")
        except ObjectNotFound:
            if not dry_run:
                cls.register_type_and_schema()
            report.add("block type", slug, "created")

    wanted: dict[str, Any] = {}
    if config.database_url:
        connector = connector_from_url(config.database_url)
        data = {"connection_info": connector.connection_info.model_dump()}
        doc_id = _document(client, report, dry_run, SqlAlchemyConnector, DATABASE_BLOCK, data,
                           None)
        # The settings block references the document (the UI shows it as a link to edit);
        # in a dry run there is no document to point at yet.
        wanted["database"] = SqlAlchemyConnector.load(DATABASE_BLOCK) if doc_id else connector
    wanted |= {k: v for k, v in (config.embedding or {}).items() if v is not None}
    _document(client, report, dry_run, HirehoundSettings, SETTINGS_BLOCK, wanted or None, {})
    alert_wanted = None
    if config.alert_webhook_url:
        alert_wanted = {
            "name": ALERT_BLOCK,
            "url": config.alert_webhook_url,
            "method": "POST",
            "json_data": {"subject": "{{subject}}", "body": "{{body}}", "source": "hirehound"},
            "allow_private_urls": config.alert_allow_private,
        }
    alert_id = _document(
        client, report, dry_run, CustomWebhookNotificationBlock, ALERT_BLOCK, alert_wanted, None
    )
    for name, value in config.secrets.items():
        _document(client, report, dry_run, Secret, name, {"value": value}, None)
    from blocks import SECRET_BLOCKS

    for name, var in SECRET_BLOCKS.items():
        if name not in config.secrets:
            exists = _read_document(client, Secret, name) is not None
            report.add(
                "secret",
                name,
                "unchanged" if exists else "skipped",
                "" if exists else f"set {var} to create it",
            )
    return alert_id


def _read_document(client: Any, cls: Any, name: str) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_block_document_by_name(
            name=name, block_type_slug=cls.get_block_type_slug(), include_secrets=True
        )
    except ObjectNotFound:
        return None


def _plain(value: Any) -> Any:
    if hasattr(value, "get_secret_value"):
        return _plain(value.get_secret_value())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _differs(current: Mapping[str, Any], refs: Mapping[str, Any], key: str, value: Any) -> bool:
    """Whether a field must change; a nested block is compared by the document it links."""
    from prefect.blocks.core import Block

    if isinstance(value, Block):
        linked = (refs.get(key) or {}).get("block_document", {}).get("id")
        return value._block_document_id is None or str(linked) != str(value._block_document_id)
    return bool(_plain(current.get(key)) != _plain(value))


def _document(
    client: Any,
    report: SetupReport,
    dry_run: bool,
    cls: Any,
    name: str,
    wanted: Mapping[str, Any] | None,
    default: Mapping[str, Any] | None,
) -> Any:
    """Create/fix one block document. `wanted` None: keep what exists, else create `default`
    (None: skip). Returns the document id (None when absent or in a dry run)."""
    kind = f"block {cls.get_block_type_slug()}"
    existing = _read_document(client, cls, name)
    if existing is None:
        data = wanted if wanted is not None else default
        if data is None:
            report.add(kind, name, "skipped", "not configured")
            return None
        doc_id = None if dry_run else cls(**data).save(name, overwrite=False)
        report.add(kind, name, "created")
        return doc_id
    if wanted is None:
        report.add(kind, name, "unchanged", "kept as configured")
        return existing.id
    current = _plain(existing.data)
    refs = existing.block_document_references or {}
    differs = sorted(k for k, v in wanted.items() if _differs(current, refs, k, v))
    if not differs:
        report.add(kind, name, "unchanged")
        return existing.id
    doc_id = existing.id
    if not dry_run:
        # From the loaded block, not from `existing.data`: nested blocks stay references to
        # their documents instead of becoming anonymous copies.
        block = cls.load(name)
        fields = {f: getattr(block, f) for f in type(block).model_fields}
        doc_id = cls(**{**fields, **wanted}).save(name, overwrite=True)
    report.add(kind, name, "updated", ", ".join(differs))
    return doc_id
