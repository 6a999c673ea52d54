//! The server's integration tests: one binary, each test against its own server on a random port
//! with a fresh database and a manual clock, over real HTTP.

mod alertmanager;
mod alerts;
mod auth;
mod browser;
mod calendar;
mod demo;
mod directory;
mod email;
mod escalation;
mod events;
mod helpers;
mod incidents;
mod ingest;
mod paging;
mod postgres;
mod postmortems;
mod probes;
mod receiver;
mod reports;
mod schedules;
mod slos;
mod ui;
