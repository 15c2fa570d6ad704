//! The per-request state of a component instance and the Spin interfaces
//! implemented on it: `fermyon:spin/key-value@2.0.0`,
//! `fermyon:spin/variables@2.0.0` and `wasi:keyvalue@0.2.0-draft2` (store,
//! atomics, batch).
//!
//! As in Spin's own host, the outer `wasmtime::Result` is a trap (a handle
//! the guest never had) and the inner `Result` is the error the guest sees.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::{KvDatabase, KvError};
use crate::outbound_hooks::OutboundHooks;

wasmtime::component::bindgen!({
    path: "wit",
    world: "kiosque:dev-host/spin-imports",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": StoreHandle,
        "wasi:keyvalue/store.bucket": StoreHandle,
        "wasi:keyvalue/atomics.cas": CasHandle,
    },
});

use fermyon::spin::{key_value, variables};
use wasi::keyvalue::{atomics, batch, store};

/// An open store: its label, checked against the manifest when opened.
pub struct StoreHandle {
    label: String,
}

/// A compare-and-swap in progress. As in Spin, the value the swap must
/// still find is the one `current` last read; when that was "absent" (or
/// nothing was read) the swap is an upsert, as Spin's SQLite store does.
pub struct CasHandle {
    label: String,
    key: String,
    seen: Option<Vec<u8>>,
}

/// What one component may see, fixed at start-up from the manifest.
pub struct ComponentConfig {
    pub id: String,
    pub allowed_stores: BTreeSet<String>,
    /// Component variables, rendered from the application variables.
    pub variables: BTreeMap<String, String>,
}

/// The data of one `wasmtime::Store`: one request, one instance.
pub struct RequestState {
    pub table: ResourceTable,
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub hooks: OutboundHooks,
    pub component: Arc<ComponentConfig>,
    pub kv: Arc<KvDatabase>,
    pub limits: wasmtime::StoreLimits,
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Runs a blocking SQLite call without stalling the async runtime's other
/// requests, as Spin's SQLite store does.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

impl RequestState {
    fn label_of(&self, handle: &Resource<StoreHandle>) -> wasmtime::Result<String> {
        Ok(self.table.get(handle)?.label.clone())
    }

    /// Runs one operation on the store behind `handle`; an unknown handle
    /// traps, a store failure is returned for the guest.
    fn on_store<T>(
        &self,
        handle: &Resource<StoreHandle>,
        operation: impl FnOnce(&KvDatabase, &str) -> crate::kv::KvResult<T>,
    ) -> wasmtime::Result<crate::kv::KvResult<T>> {
        let label = self.label_of(handle)?;
        Ok(blocking(|| operation(&self.kv, &label)))
    }

    fn may_open(&self, label: &str) -> bool {
        self.component.allowed_stores.contains(label)
    }
}

fn spin_error(e: KvError) -> key_value::Error {
    match e {
        KvError::Other(message) | KvError::NotACounter(message) => key_value::Error::Other(message),
    }
}

fn wasi_error(e: KvError) -> store::Error {
    match e {
        KvError::Other(message) | KvError::NotACounter(message) => store::Error::Other(message),
    }
}

// ---- fermyon:spin/key-value@2.0.0 ----

impl key_value::Host for RequestState {}

impl key_value::HostStore for RequestState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, key_value::Error>> {
        if !self.may_open(&label) {
            return Ok(Err(key_value::Error::AccessDenied));
        }
        if label != "default" {
            // Start-up refuses other labels; keep the guest-facing answer
            // Spin gives for a store without a definition anyway.
            return Ok(Err(key_value::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(StoreHandle { label })?))
    }

    async fn get(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, key_value::Error>> {
        Ok(self
            .on_store(&handle, |kv, label| kv.get(label, &key))?
            .map_err(spin_error))
    }

    async fn set(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        Ok(self
            .on_store(&handle, |kv, label| kv.set(label, &key, &value))?
            .map_err(spin_error))
    }

    async fn delete(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        Ok(self
            .on_store(&handle, |kv, label| kv.delete(label, &key))?
            .map_err(spin_error))
    }

    async fn exists(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        Ok(self
            .on_store(&handle, |kv, label| kv.exists(label, &key))?
            .map_err(spin_error))
    }

    async fn get_keys(
        &mut self,
        handle: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        Ok(self
            .on_store(&handle, |kv, label| kv.get_keys(label))?
            .map_err(spin_error))
    }

    async fn drop(&mut self, handle: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

// ---- fermyon:spin/variables@2.0.0 ----

impl variables::Host for RequestState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if crate::variables::VariableName::parse(&name).is_err() {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(match self.component.variables.get(&name) {
            Some(value) => Ok(value.clone()),
            None => Err(variables::Error::Undefined(format!(
                "no variable `{name}` for component `{}`",
                self.component.id
            ))),
        })
    }
}

// ---- wasi:keyvalue/store@0.2.0-draft2 ----

impl store::Host for RequestState {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, store::Error>> {
        if !self.may_open(&identifier) {
            return Ok(Err(store::Error::AccessDenied));
        }
        if identifier != "default" {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(StoreHandle { label: identifier })?))
    }
}

impl store::HostBucket for RequestState {
    async fn get(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.get(label, &key))?
            .map_err(wasi_error))
    }

    async fn set(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.set(label, &key, &value))?
            .map_err(wasi_error))
    }

    async fn delete(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.delete(label, &key))?
            .map_err(wasi_error))
    }

    async fn exists(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.exists(label, &key))?
            .map_err(wasi_error))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<StoreHandle>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        // Like Spin: the whole list in one answer, no cursor.
        if cursor.is_some() {
            return Ok(Err(store::Error::Other(
                "list-keys: cursor not supported".to_string(),
            )));
        }
        let label = self.label_of(&bucket)?;
        Ok(blocking(|| self.kv.get_keys(&label))
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(wasi_error))
    }

    async fn drop(&mut self, bucket: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

// ---- wasi:keyvalue/atomics@0.2.0-draft2 ----

impl atomics::Host for RequestState {
    async fn increment(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        let label = self.label_of(&bucket)?;
        match blocking(|| self.kv.increment(&label, &key, delta)) {
            Ok(value) => Ok(Ok(value)),
            Err(KvError::NotACounter(message)) => {
                eprintln!("dev-host: component `{}`: {message}", self.component.id);
                Err(wasmtime::format_err!("{message}"))
            }
            Err(e) => Ok(Err(wasi_error(e))),
        }
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let handle = self.table.delete(cas)?;
        let swapped = blocking(|| {
            self.kv
                .compare_and_swap(&handle.label, &handle.key, handle.seen.as_deref(), &value)
        });
        match swapped {
            Ok(true) => Ok(Ok(())),
            // As Spin does, hand back a fresh CAS holding the value that won,
            // so the guest can retry from it.
            Ok(false) => {
                let seen = blocking(|| self.kv.get(&handle.label, &handle.key));
                let seen = match seen {
                    Ok(seen) => seen,
                    Err(e) => return Ok(Err(atomics::CasError::StoreError(wasi_error(e)))),
                };
                let retry = self.table.push(CasHandle {
                    label: handle.label,
                    key: handle.key,
                    seen,
                })?;
                Ok(Err(atomics::CasError::CasFailed(retry)))
            }
            Err(e) => Ok(Err(atomics::CasError::StoreError(wasi_error(e)))),
        }
    }
}

impl atomics::HostCas for RequestState {
    async fn new(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, store::Error>> {
        let label = self.label_of(&bucket)?;
        if key.len() > crate::kv::MAX_KEY_BYTES {
            return Ok(Err(wasi_error(KvError::Other(format!(
                "key is {} bytes, over the {}-byte limit",
                key.len(),
                crate::kv::MAX_KEY_BYTES
            )))));
        }
        Ok(Ok(self.table.push(CasHandle {
            label,
            key,
            seen: None,
        })?))
    }

    async fn current(
        &mut self,
        cas: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let handle = self.table.get(&cas)?;
        let (label, key) = (handle.label.clone(), handle.key.clone());
        match blocking(|| self.kv.get(&label, &key)) {
            Ok(value) => {
                self.table.get_mut(&cas)?.seen.clone_from(&value);
                Ok(Ok(value))
            }
            Err(e) => Ok(Err(wasi_error(e))),
        }
    }

    async fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

// ---- wasi:keyvalue/batch@0.2.0-draft2 ----

impl batch::Host for RequestState {
    async fn get_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.get_many(label, &keys))?
            .map_err(wasi_error))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.set_many(label, &key_values))?
            .map_err(wasi_error))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        Ok(self
            .on_store(&bucket, |kv, label| kv.delete_many(label, &keys))?
            .map_err(wasi_error))
    }
}

/// Adds the Spin interfaces above to a linker.
pub fn add_to_linker(
    linker: &mut wasmtime::component::Linker<RequestState>,
) -> wasmtime::Result<()> {
    SpinImports::add_to_linker::<RequestState, wasmtime::component::HasSelf<RequestState>>(
        linker,
        |state| state,
    )
}
