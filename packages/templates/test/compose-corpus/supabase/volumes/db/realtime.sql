\set pguser `echo "$POSTGRES_USER"`
create schema if not exists _realtime;
