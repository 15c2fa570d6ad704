//! The domain's [`KvStore`] over Spin's key-value store.
//!
//! Plain operations go through `fermyon:spin/key-value@2.0.0` (`spin_sdk::key_value`); the
//! atomics and the batch read through `wasi:keyvalue@0.2.0-draft2`
//! (`spin_sdk::wit::wasi::keyvalue`), whose bucket is opened lazily, on the first such
//! operation of the request.

use std::cell::OnceCell;

use kiosque_domain::store::{KeyValues, KvStore, StoreError, check_key, check_value};
use spin_sdk::key_value::Store;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_store};

/// One request's handle on a Spin key-value store. Open it once per request.
pub struct SpinStore {
    label: String,
    store: Store,
    bucket: OnceCell<wasi_store::Bucket>,
}

impl SpinStore {
    /// Opens the store every component uses, labelled `default` in the manifest.
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open("default")
    }

    pub fn open(label: &str) -> Result<Self, StoreError> {
        let store = Store::open(label).map_err(|e| backend("open", label, e))?;
        Ok(SpinStore {
            label: label.to_owned(),
            store,
            bucket: OnceCell::new(),
        })
    }

    fn bucket(&self) -> Result<&wasi_store::Bucket, StoreError> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket =
            wasi_store::open(&self.label).map_err(|e| backend("open bucket", &self.label, e))?;
        Ok(self.bucket.get_or_init(|| bucket))
    }
}

fn backend(operation: &str, key: &str, error: impl std::fmt::Debug) -> StoreError {
    StoreError::Backend(format!("{operation} {key}: {error:?}"))
}

impl KvStore for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        self.store.get(key).map_err(|e| backend("get", key, e))
    }

    fn get_many(&self, keys: &[String]) -> Result<KeyValues, StoreError> {
        keys.iter().try_for_each(|key| check_key(key))?;
        batch::get_many(self.bucket()?, keys)
            .map_err(|e| backend("get_many", &format!("{} keys", keys.len()), e))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        check_key(key)?;
        check_value(value)?;
        self.store
            .set(key, value)
            .map_err(|e| backend("set", key, e))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        self.store
            .delete(key)
            .map_err(|e| backend("delete", key, e))
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        self.store
            .exists(key)
            .map_err(|e| backend("exists", key, e))
    }

    fn get_keys(&self) -> Result<Vec<String>, StoreError> {
        self.store
            .get_keys()
            .map_err(|e| backend("get_keys", &self.label, e))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        check_key(key)?;
        atomics::increment(self.bucket()?, key, delta).map_err(|e| backend("increment", key, e))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        check_key(key)?;
        check_value(new)?;
        let cas = atomics::Cas::new(self.bucket()?, key).map_err(|e| backend("cas", key, e))?;
        // `current` also records the value `swap` will compare against on the host.
        let current = cas.current().map_err(|e| backend("cas current", key, e))?;
        if current.as_deref() != expected {
            return Ok(false);
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(backend("cas swap", key, e)),
        }
    }
}
