//! The bindings build.rs generated, tested as one test binary (it links once).

mod generated_models;
mod generated_service;
mod partial_service;
