namespace Governance.Projections.Audit;

/// <summary>
/// The chain's SQL. Each event's record is a sequence of length-prefixed UTF-8 fields (4-byte big-endian length, then
/// the bytes): sequence, stream id, version, type, timestamp, actor, correlation id, causation id, data. Numbers are
/// decimal, the timestamp is UTC with microseconds (<c>2026-11-02T14:03:00.123456Z</c>), a missing value is empty, and
/// the data is PostgreSQL's text form of the <c>jsonb</c> — exactly what the export carries, so an offline verifier
/// recomputes the hash from an export line alone. <c>hash = SHA-256(previous hash ‖ record)</c>, the previous hash of
/// a stream's first event being 32 zero bytes. Both hashes are stored in the row's headers (audit_prev, audit_hash).
/// </summary>
internal static class AuditChainSql
{
    public const string ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Functions(string schema) => $$"""
        CREATE OR REPLACE FUNCTION {{schema}}.gov_audit_field(value text) RETURNS bytea
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT int4send(octet_length(convert_to(coalesce(value, ''), 'UTF8'))) || convert_to(coalesce(value, ''), 'UTF8')
        $$;

        CREATE OR REPLACE FUNCTION {{schema}}.gov_audit_timestamp(ts timestamptz) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        $$;

        -- The record written out with each value computed once: the data's text (jsonb → text, the dearest step) and the
        -- timestamp's. Composing gov_audit_field instead inlines its argument twice and renders the data twice per event.
        CREATE OR REPLACE FUNCTION {{schema}}.gov_audit_hash(
          previous bytea, seq bigint, stream text, version bigint, type text, ts timestamptz,
          actor text, correlation text, causation text, data jsonb) RETURNS bytea
        LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        DECLARE
          body bytea := convert_to(data::text, 'UTF8');
          stamp bytea := convert_to({{schema}}.gov_audit_timestamp(ts), 'UTF8');
          seq_text bytea := convert_to(seq::text, 'UTF8');
          version_text bytea := convert_to(version::text, 'UTF8');
          stream_text bytea := convert_to(coalesce(stream, ''), 'UTF8');
          type_text bytea := convert_to(coalesce(type, ''), 'UTF8');
          actor_text bytea := convert_to(coalesce(actor, ''), 'UTF8');
          correlation_text bytea := convert_to(coalesce(correlation, ''), 'UTF8');
          causation_text bytea := convert_to(coalesce(causation, ''), 'UTF8');
        BEGIN
          RETURN sha256(previous
            || int4send(octet_length(seq_text)) || seq_text || int4send(octet_length(stream_text)) || stream_text
            || int4send(octet_length(version_text)) || version_text || int4send(octet_length(type_text)) || type_text
            || int4send(octet_length(stamp)) || stamp || int4send(octet_length(actor_text)) || actor_text
            || int4send(octet_length(correlation_text)) || correlation_text || int4send(octet_length(causation_text)) || causation_text
            || int4send(octet_length(body)) || body);
        END
        $$;

        -- A stream's first event needs no lookup; a later one reads the hash of the event before it through Marten's
        -- unique (stream_id, version) index. "version <" rather than "= version - 1", so a hole in the history is
        -- chained over and shows up as a version gap, not as a broken link.
        CREATE OR REPLACE FUNCTION {{schema}}.gov_audit_chain() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          previous bytea;
          hash bytea;
        BEGIN
          IF NEW.version > 1 THEN
            SELECT decode(e.headers ->> 'audit_hash', 'hex') INTO previous FROM {{schema}}.mt_events e
             WHERE e.stream_id = NEW.stream_id AND e.version < NEW.version ORDER BY e.version DESC LIMIT 1;
          END IF;
          previous := coalesce(previous, '\x{{ZeroHash}}'::bytea);
          hash := {{schema}}.gov_audit_hash(previous, NEW.seq_id, NEW.stream_id, NEW.version, NEW.type, NEW."timestamp",
                                           NEW.user_name, NEW.correlation_id, NEW.causation_id, NEW.data);
          -- Marten sends a JSON null when there are no headers.
          NEW.headers := (CASE WHEN jsonb_typeof(NEW.headers) = 'object' THEN NEW.headers ELSE '{}'::jsonb END)
                         || jsonb_build_object('audit_prev', encode(previous, 'hex'), 'audit_hash', encode(hash, 'hex'));
          RETURN NEW;
        END
        $$;
        """;

    /// <summary>The table that records, once, the last sequence the backfill may hash (<see cref="ChainStart"/>).</summary>
    public const string ChainStartTable = "gov_audit_chain_start";

    /// <summary>
    /// Records where the chain starts, once: on a database none of whose events has a hash (the chain is being installed
    /// now), every event so far predates the chain; on one where any event has a hash, the trigger has been there since
    /// the start, so nothing may be backfilled (0). Run after the trigger is created: creating it locks out inserts until
    /// the migration commits, so no event can slip in between.
    /// </summary>
    public static string ChainStart(string schema) => $"""
        CREATE TABLE IF NOT EXISTS {schema}.{ChainStartTable} (
          id int PRIMARY KEY CHECK (id = 1), sequence bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO {schema}.{ChainStartTable} (id, sequence)
        SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM {schema}.mt_events WHERE headers ? 'audit_hash') THEN 0
                       ELSE coalesce((SELECT max(seq_id) FROM {schema}.mt_events), 0) END
        ON CONFLICT (id) DO NOTHING;
        """;

    /// <summary>
    /// Chains events that predate the chain (sequence up to the recorded chain start), stream by stream, in version
    /// order. A later event without a hash is never chained here: the trigger hashed it when it was written, so its hash
    /// was stripped (or the trigger was disabled), and re-chaining it would launder an edit. It stays unchained, and
    /// checkpoints refuse to sign over it.
    /// </summary>
    public static string Backfill(string schema) => $$"""
        DO $$
        DECLARE
          r record;
          previous bytea;
          hash bytea;
          current_stream varchar;
          chain_start bigint := (SELECT sequence FROM {{schema}}.{{ChainStartTable}} WHERE id = 1);
        BEGIN
          FOR r IN
            SELECT e.seq_id, e.stream_id, e.version, e.type, e."timestamp", e.user_name, e.correlation_id, e.causation_id, e.data,
                   e.headers ->> 'audit_hash' AS existing
              FROM {{schema}}.mt_events e
             WHERE e.stream_id IN (SELECT u.stream_id FROM {{schema}}.mt_events u
                                    WHERE u.seq_id <= chain_start AND u.headers ->> 'audit_hash' IS NULL)
               AND e.seq_id <= chain_start
             ORDER BY e.stream_id, e.version
          LOOP
            IF current_stream IS DISTINCT FROM r.stream_id THEN
              previous := '\x{{ZeroHash}}'::bytea;
              current_stream := r.stream_id;
            END IF;
            IF r.existing IS NOT NULL THEN
              previous := decode(r.existing, 'hex');
              CONTINUE;
            END IF;
            hash := {{schema}}.gov_audit_hash(previous, r.seq_id, r.stream_id, r.version, r.type, r."timestamp",
                                             r.user_name, r.correlation_id, r.causation_id, r.data);
            UPDATE {{schema}}.mt_events
               SET headers = (CASE WHEN jsonb_typeof(headers) = 'object' THEN headers ELSE '{}'::jsonb END)
                             || jsonb_build_object('audit_prev', encode(previous, 'hex'), 'audit_hash', encode(hash, 'hex'))
             WHERE seq_id = r.seq_id;
            previous := hash;
          END LOOP;
        END
        $$;
        """;
}
