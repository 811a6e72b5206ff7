//! `--public-url`: what [`PublicUrl`] accepts (https origins, normalized) and refuses (with a
//! message saying what is wrong and what to give instead).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ims_generated_example::demo::PublicUrl;

#[test]
fn accepts_https_origins_and_normalizes_them() {
    for (given, origin, host) in [
        (
            "https://lb.example.edu",
            "https://lb.example.edu",
            "lb.example.edu",
        ),
        (
            "https://LB.Example.edu/",
            "https://lb.example.edu",
            "lb.example.edu",
        ),
        (
            "https://127.0.0.1:8443",
            "https://127.0.0.1:8443",
            "127.0.0.1",
        ),
        (
            "https://example.edu:443/",
            "https://example.edu",
            "example.edu",
        ),
        ("https://[::1]:9443", "https://[::1]:9443", "::1"),
    ] {
        let url = PublicUrl::parse(given).unwrap();
        assert_eq!(url.as_str(), origin, "{given}");
        assert_eq!(url.host(), host, "{given}");
        assert_eq!(url.join("/token"), format!("{origin}/token"));
    }
}

#[test]
fn refuses_what_is_not_an_https_origin() {
    for (given, problem) in [
        ("http://lb.example.edu", "scheme must be https"),
        ("lb.example.edu:8443", "scheme must be https"),
        ("https://lb.example.edu/oneroster", "must not have a path"),
        ("https://lb.example.edu/?a=1", "must not have a query"),
        ("https://lb.example.edu/#x", "must not have a fragment"),
        ("https://u:p@lb.example.edu", "user name or password"),
        ("not a url", "not a URL"),
    ] {
        let e = PublicUrl::parse(given).unwrap_err();
        assert!(e.problem.contains(problem), "{given}: {e}");
        assert!(e.to_string().contains(given), "{e}");
        assert!(e.to_string().contains("e.g. `https://"), "{e}");
    }
}

#[test]
fn from_addr_is_the_default_origin() {
    let url = PublicUrl::from_addr("127.0.0.1:8443".parse().unwrap());
    assert_eq!(url.as_str(), "https://127.0.0.1:8443");
    assert_eq!(url.host(), "127.0.0.1");
    let v6 = PublicUrl::from_addr("[::1]:8443".parse().unwrap());
    assert_eq!(v6.as_str(), "https://[::1]:8443");
    assert_eq!(v6.host(), "::1");
}
