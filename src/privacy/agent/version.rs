//! stub
use super::ClientClass;
/// stub
pub fn browser_major(_agent: &[u8], _class: &ClientClass) -> Option<u16> {
    None
}
