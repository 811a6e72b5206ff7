//! LTI 1.3 (LTI Advantage), the platform side: the tools a platform knows and how it launches
//! them.
//!
//! | module | job |
//! |---|---|
//! | `tool_registration` | the tools registered with this platform ([`ToolRegistration`]), kept as clients of its authorization server |

mod tool_registration;

pub use tool_registration::{
    LTI_TOOL_CONFIGURATION, ToolKeySource, ToolRegistration, ToolRegistrationError,
};
