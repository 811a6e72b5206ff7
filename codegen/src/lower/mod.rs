//! Lowering: SDD + spec model → IR. All naming and type decisions happen here, once.

pub mod naming;
