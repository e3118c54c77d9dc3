-- The apps of fastify-broadcastt's PostgreSQL app store (docs/apps.md). The plugin runs this file at start
-- when the table or its trigger is missing; run it yourself when you manage the schema (psql -f). Running
-- it again is harmless. For a table of another name, replace every "broadcastt_apps" below with that name
-- (the plugin does the same with its `table` option): the trigger, the function and the NOTIFY channel are
-- named after the table.

CREATE TABLE IF NOT EXISTS broadcastt_apps (
  id       text PRIMARY KEY,
  key      text UNIQUE NOT NULL,
  secret   text NOT NULL,
  enabled  boolean NOT NULL DEFAULT true,
  -- Every other per-app option, in the plugin's JSON shape: {"clientEvents": true, "limits": {...}, ...}
  settings jsonb NOT NULL DEFAULT '{}'
);

-- Every change notifies the servers on channel broadcastt_apps_changed with the ids it touched as a JSON
-- array ('' = reload everything: a TRUNCATE, or ids too long for a notification).
CREATE OR REPLACE FUNCTION broadcastt_apps_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text := '';
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := json_build_array(NEW.id)::text;
  ELSIF TG_OP = 'UPDATE' THEN
    ids := json_build_array(OLD.id, NEW.id)::text;
  ELSIF TG_OP = 'DELETE' THEN
    ids := json_build_array(OLD.id)::text;
  END IF;
  IF octet_length(ids) > 7000 THEN
    ids := '';
  END IF;
  PERFORM pg_notify('broadcastt_apps_changed', ids);
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS broadcastt_apps_changed ON broadcastt_apps;
CREATE TRIGGER broadcastt_apps_changed AFTER INSERT OR UPDATE OR DELETE ON broadcastt_apps
  FOR EACH ROW EXECUTE FUNCTION broadcastt_apps_notify();

DROP TRIGGER IF EXISTS broadcastt_apps_truncated ON broadcastt_apps;
CREATE TRIGGER broadcastt_apps_truncated AFTER TRUNCATE ON broadcastt_apps
  FOR EACH STATEMENT EXECUTE FUNCTION broadcastt_apps_notify();
