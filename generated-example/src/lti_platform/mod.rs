//! The LTI demo's platform (`lti-demo platform`): an LMS stand-in with one course, its people,
//! the tools of `tools.json`, LTI 1.3 launches, deep linking, AGS and NRPS (the generated
//! servers) and LTI Dynamic Registration, over TLS with a development CA.
//! `generated-example/docs/lti-demo.md` is the guide; issue 10 point 5 is the contract.
//!
//! - [`users`]: `users.json` (seeded: an instructor, an administrator, 30 learners).
//! - [`session`]: the platform's own sign-in cookie.
//! - [`tools`]: `tools.json` → tool registrations; `registrations.json`.
//! - [`gradebook`]: line items, scores and deep-linked content in SQLite.
//! - [`services`]: the generated AGS and NRPS traits over the gradebook and the people.
//! - [`pages`]: the askama pages.
//! - [`launching`]: launches, deep-link returns and Dynamic Registration through the runtime's `LtiPlatform`.
//! - [`app`]: everything on one TLS listener ([`app::LtiPlatformDemo::start`] is what tests use).

pub mod app;
pub mod error;
pub mod gradebook;
pub mod launching;
pub mod pages;
pub mod services;
pub mod session;
pub mod tools;
pub mod users;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use app::{LtiPlatformDemo, PlatformDemoConfig, RunningPlatform};
pub use error::LtiPlatformError;

/// Runs the platform on `addr` with its state in `data_dir` until `shutdown` resolves.
pub async fn run(
    addr: SocketAddr,
    data_dir: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LtiPlatformError> {
    run_with(
        PlatformDemoConfig {
            addr,
            data_dir,
            extra_ca: Vec::new(),
        },
        shutdown,
    )
    .await
}

/// [`run`] with every option.
pub async fn run_with(
    config: PlatformDemoConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LtiPlatformError> {
    let running = LtiPlatformDemo::start(config).await?;
    println!("LTI demo platform on {}", running.base_url);
    println!(
        "  course page:   {}",
        running.url(&format!("/courses/{}", running.state.course.id))
    );
    println!(
        "  CA:            {}",
        running.data_dir.join(app::CA_FILE).display()
    );
    println!(
        "  users:         {}",
        running.data_dir.join(users::USERS_FILE).display()
    );
    println!(
        "  registrations: {}",
        running.data_dir.join(tools::REGISTRATIONS_FILE).display()
    );
    running.run_until(shutdown).await
}
