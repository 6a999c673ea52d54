//! Pagination of lists: a window of at most [`Page::MAX_LIMIT`] items from an offset.

use crate::validate::{FieldError, Invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;

    /// The first page of the default size.
    pub fn first() -> Self {
        Page { limit: Self::DEFAULT_LIMIT, offset: 0 }
    }

    pub fn parse(limit: Option<u32>, offset: Option<u32>) -> Result<Self, Invalid> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if limit == 0 || limit > Self::MAX_LIMIT {
            return Err(FieldError::new("limit", format!("must be between 1 and {}", Self::MAX_LIMIT)).into());
        }
        Ok(Page { limit, offset: offset.unwrap_or(0) })
    }

    /// The offset of the next page, when this one came back full.
    pub fn next_offset(self, returned: usize) -> Option<u32> {
        (returned as u32 >= self.limit).then(|| self.offset + self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded_and_named() {
        assert_eq!(Page::parse(None, None), Ok(Page { limit: 50, offset: 0 }));
        assert_eq!(Page::parse(Some(200), Some(400)), Ok(Page { limit: 200, offset: 400 }));
        for bad in [0, 201] {
            assert_eq!(Page::parse(Some(bad), None).unwrap_err().0[0].field, "limit");
        }
    }

    #[test]
    fn a_full_page_has_a_next_page() {
        let page = Page { limit: 2, offset: 4 };
        assert_eq!(page.next_offset(2), Some(6));
        assert_eq!(page.next_offset(1), None);
    }
}
