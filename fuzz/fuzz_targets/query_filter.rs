//! The IMS `filter` parameter parser (`ims_runtime::query::filter`), its rendering and matching.
//!
//! Properties: a filter that parses renders (`Display`, what `Link` URLs carry) to text that
//! parses back to the same filter; an error's byte position lies within the input.
#![no_main]

use ims_runtime::imsx::ImsError;
use ims_runtime::query::filter::Filter;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Filter::parse(text) {
        Ok(filter) => {
            let rendered = filter.to_string();
            match Filter::parse(&rendered) {
                Ok(again) => assert_eq!(again, filter, "{text:?} rendered as {rendered:?}"),
                Err(e) => panic!("{text:?} rendered as {rendered:?}, which does not parse: {e}"),
            }
            for record in ims_fuzz::records::records() {
                let _ = filter.matches_json(record);
            }
            let _ = filter.validate_fields(&["sourcedId", "status", "metadata.credits"]);
        }
        Err(e) => {
            assert!(e.position <= text.len(), "{e} for {} bytes", text.len());
            let error = ImsError::from(e);
            assert_eq!(error.status().as_u16(), 400);
        }
    }
});
