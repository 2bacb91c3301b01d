//! Snowflake's closed-set words (`SERVICE`, `IPV4`, `ENFORCED_REQUIRED`): one Rust type per
//! concept, its spelling written once, and [`Spelled`] for a value read from the account.
//!
//! One vocabulary per concept serves both sides. The desired model's enums (`UserType`,
//! `NetworkRuleType`, ...) are the known words; the file may only use those, so its schema
//! lists exactly them. The live model wraps the same enum in [`Spelled`], whose
//! [`Spelled::Other`] keeps a word this version does not know instead of failing the read, the
//! way [`TokenStatus`](super::live::TokenStatus) does. Where the account shows words one cannot
//! set (`MFA_ENROLLMENT` of a fresh policy, attachment domains), the live side has an enum of
//! its own in `model::live`, with a conversion from the desired one.
//!
//! Spellings are the literals below, never a serde round trip at runtime; a unit test checks
//! that they match the serde names the file format uses. No I/O here.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::desired::{
    AuthenticationMethod, ClientPolicyDriver, ClientType, MfaEnrollment, MfaExternalEnforcement,
    MfaMethod, NetworkPolicyEvaluation, NetworkRuleMode, NetworkRuleType, UserType,
    WorkloadIdentityProvider,
};

/// A closed set of Snowflake words with their spelling.
pub trait Vocabulary: Copy + Eq + 'static {
    /// Every word, in declaration order.
    const ALL: &'static [Self];

    /// Snowflake's spelling, upper case (`SERVICE_AGENT`).
    fn as_str(self) -> &'static str;

    /// The word spelled `text`, compared without regard to case.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str().eq_ignore_ascii_case(text))
    }
}

/// A value as the account spelled it: a known word, or one this version does not know (kept
/// as read, so that a snapshot round-trips and the plan can show it).
///
/// Serialized as the bare spelling (`"SERVICE"`), so live-state files need no migration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Spelled<T> {
    Known(T),
    Other(String),
}

impl<T: Vocabulary> Spelled<T> {
    /// Snowflake's spelling of the value.
    pub fn as_str(&self) -> &str {
        match self {
            Spelled::Known(v) => v.as_str(),
            Spelled::Other(s) => s,
        }
    }

    /// The known word, if it is one.
    pub fn known(&self) -> Option<T> {
        match self {
            Spelled::Known(v) => Some(*v),
            Spelled::Other(_) => None,
        }
    }

    /// Whether the value is the word `v`.
    pub fn is(&self, v: T) -> bool {
        self.known() == Some(v)
    }
}

/// What a property defaults to before anything was read: an empty spelling.
impl<T> Default for Spelled<T> {
    fn default() -> Self {
        Spelled::Other(String::new())
    }
}

impl<T: Vocabulary> From<&str> for Spelled<T> {
    fn from(text: &str) -> Self {
        T::parse(text).map_or_else(|| Spelled::Other(text.to_owned()), Spelled::Known)
    }
}

impl<T: Vocabulary> From<String> for Spelled<T> {
    fn from(text: String) -> Self {
        match T::parse(&text) {
            Some(v) => Spelled::Known(v),
            None => Spelled::Other(text),
        }
    }
}

impl<T: Vocabulary> fmt::Display for Spelled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: Vocabulary> Serialize for Spelled<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, T: Vocabulary> Deserialize<'de> for Spelled<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Spelled::from)
    }
}

/// The spellings of a list, for SQL and the plan's attribute lines.
pub fn spellings<T: Vocabulary>(values: &[Spelled<T>]) -> Vec<String> {
    values.iter().map(|v| v.as_str().to_owned()).collect()
}

macro_rules! vocabulary {
    ($( $ty:ident { $( $variant:ident = $spelling:literal ),* $(,)? } )*) => {
        $(
            impl Vocabulary for $ty {
                const ALL: &'static [Self] = &[ $( $ty::$variant, )* ];

                fn as_str(self) -> &'static str {
                    match self { $( $ty::$variant => $spelling, )* }
                }
            }
        )*

        #[cfg(test)]
        fn every_spelling() -> Vec<(String, serde_json::Value)> {
            let mut out = Vec::new();
            $(
                for v in $ty::ALL {
                    out.push((v.as_str().to_owned(), serde_json::to_value(v).unwrap()));
                }
            )*
            out
        }
    };
}

vocabulary! {
    UserType {
        Person = "PERSON",
        Service = "SERVICE",
        LegacyService = "LEGACY_SERVICE",
        ServiceAgent = "SERVICE_AGENT",
    }
    NetworkRuleType {
        Ipv4 = "IPV4",
        Ipv6 = "IPV6",
        Awsvpceid = "AWSVPCEID",
        Azurelinkid = "AZURELINKID",
        Gcppscid = "GCPPSCID",
        HostPort = "HOST_PORT",
        PrivateHostPort = "PRIVATE_HOST_PORT",
        ComputePool = "COMPUTE_POOL",
    }
    NetworkRuleMode {
        Ingress = "INGRESS",
        InternalStage = "INTERNAL_STAGE",
        SnowflakeManagedStorageVolume = "SNOWFLAKE_MANAGED_STORAGE_VOLUME",
        Egress = "EGRESS",
    }
    AuthenticationMethod {
        All = "ALL",
        Saml = "SAML",
        Oidc = "OIDC",
        Password = "PASSWORD",
        Oauth = "OAUTH",
        Keypair = "KEYPAIR",
        ProgrammaticAccessToken = "PROGRAMMATIC_ACCESS_TOKEN",
        WorkloadIdentity = "WORKLOAD_IDENTITY",
    }
    ClientType {
        All = "ALL",
        SnowflakeUi = "SNOWFLAKE_UI",
        Drivers = "DRIVERS",
        SnowflakeCli = "SNOWFLAKE_CLI",
        Snowsql = "SNOWSQL",
    }
    ClientPolicyDriver {
        JdbcDriver = "JDBC_DRIVER",
        OdbcDriver = "ODBC_DRIVER",
        PythonDriver = "PYTHON_DRIVER",
        JavascriptDriver = "JAVASCRIPT_DRIVER",
        CDriver = "C_DRIVER",
        GoDriver = "GO_DRIVER",
        PhpDriver = "PHP_DRIVER",
        DotnetDriver = "DOTNET_DRIVER",
        SqlApi = "SQL_API",
        SnowpipeStreamingClientSdk = "SNOWPIPE_STREAMING_CLIENT_SDK",
        PyCore = "PY_CORE",
        SprocPython = "SPROC_PYTHON",
        PythonSnowpark = "PYTHON_SNOWPARK",
        SqlAlchemy = "SQL_ALCHEMY",
        Snowpark = "SNOWPARK",
        SnowflakeClient = "SNOWFLAKE_CLIENT",
    }
    MfaEnrollment {
        Required = "REQUIRED",
        RequiredPasswordOnly = "REQUIRED_PASSWORD_ONLY",
    }
    MfaMethod {
        All = "ALL",
        Passkey = "PASSKEY",
        Totp = "TOTP",
        Otp = "OTP",
        Duo = "DUO",
    }
    MfaExternalEnforcement {
        All = "ALL",
        None = "NONE",
    }
    NetworkPolicyEvaluation {
        EnforcedRequired = "ENFORCED_REQUIRED",
        EnforcedNotRequired = "ENFORCED_NOT_REQUIRED",
        NotEnforced = "NOT_ENFORCED",
    }
    WorkloadIdentityProvider {
        All = "ALL",
        Aws = "AWS",
        Azure = "AZURE",
        Gcp = "GCP",
        Oidc = "OIDC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_match_the_file_formats_serde_names() {
        for (spelling, serde) in every_spelling() {
            assert_eq!(serde, serde_json::Value::String(spelling.clone()));
        }
    }

    #[test]
    fn an_unknown_word_is_kept_and_a_known_one_is_read_in_any_case() {
        let t: Spelled<UserType> = serde_json::from_str("\"ROBOT\"").unwrap();
        assert_eq!(t, Spelled::Other("ROBOT".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"ROBOT\"");
        let s: Spelled<UserType> = serde_json::from_str("\"legacy_service\"").unwrap();
        assert_eq!(s, Spelled::Known(UserType::LegacyService));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"LEGACY_SERVICE\"");
    }
}
