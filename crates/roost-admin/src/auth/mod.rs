//! Who may use the API: dashboard logins and API keys kept in the auth file ([`store`]), session
//! tokens signed by the process ([`token`]), failed logins limited per client address
//! ([`limit`]), and the check every protected route passes through ([`guard`]).

pub(crate) mod guard;
pub(crate) mod limit;
pub(crate) mod store;
pub(crate) mod token;
