//! The per-request state of a component instance and the Spin interfaces
//! implemented on it: `fermyon:spin/key-value@2.0.0`,
//! `fermyon:spin/variables@2.0.0`, `wasi:keyvalue@0.2.0-draft2` (store,
//! atomics, batch) over the configured backend (`kv`), and
//! `fermyon:spin/redis@2.0.0` (outbound Redis, in `outbound_redis`).
//!
//! As in Spin's own host, the outer `wasmtime::Result` is a trap (a handle
//! the guest never had) and the inner `Result` is the error the guest sees.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::{CasState, KvBackend, KvError, KvResult};
use crate::kv_redis::GetManyFault;
use crate::outbound_hooks::OutboundHooks;

wasmtime::component::bindgen!({
    path: "wit",
    world: "kiosque:dev-host/spin-imports",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": StoreHandle,
        "fermyon:spin/redis.connection": crate::outbound_redis::RedisConnection,
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

/// A compare-and-swap in progress, with its backend's state.
pub struct CasHandle {
    label: String,
    key: String,
    state: CasState,
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
    pub kv: Arc<KvBackend>,
    /// Counts every store call (and outbound Redis command), for the benchmark.
    pub store_operations: Arc<std::sync::atomic::AtomicU64>,
    pub limits: GuestLimits,
}

/// The guest's memory limit, and the most linear memory it asked for: what one request costs
/// in memory, which the benchmark prints (a media upload decodes whole photos).
pub struct GuestLimits {
    pub limits: wasmtime::StoreLimits,
    pub peak_memory_bytes: usize,
}

impl wasmtime::ResourceLimiter for GuestLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.peak_memory_bytes = self.peak_memory_bytes.max(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
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

impl RequestState {
    /// The label of the store behind `handle`; an unknown handle traps. Every operation on
    /// an open store starts here, so it is also where store calls are counted.
    fn label_of(&self, handle: &Resource<StoreHandle>) -> wasmtime::Result<String> {
        self.count_store_operation();
        Ok(self.table.get(handle)?.label.clone())
    }

    pub(crate) fn count_store_operation(&self) {
        self.store_operations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

fn for_spin<T>(result: KvResult<T>) -> wasmtime::Result<Result<T, key_value::Error>> {
    Ok(result.map_err(spin_error))
}

fn for_wasi<T>(result: KvResult<T>) -> wasmtime::Result<Result<T, store::Error>> {
    Ok(result.map_err(wasi_error))
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
        let label = self.label_of(&handle)?;
        for_spin(self.kv.get(&label, &key).await)
    }

    async fn set(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let label = self.label_of(&handle)?;
        for_spin(self.kv.set(&label, &key, &value).await)
    }

    async fn delete(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let label = self.label_of(&handle)?;
        for_spin(self.kv.delete(&label, &key).await)
    }

    async fn exists(
        &mut self,
        handle: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        let label = self.label_of(&handle)?;
        for_spin(self.kv.exists(&label, &key).await)
    }

    async fn get_keys(
        &mut self,
        handle: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        let label = self.label_of(&handle)?;
        for_spin(self.kv.get_keys(&label).await)
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
        let label = self.label_of(&bucket)?;
        for_wasi(self.kv.get(&label, &key).await)
    }

    async fn set(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label_of(&bucket)?;
        for_wasi(self.kv.set(&label, &key, &value).await)
    }

    async fn delete(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label_of(&bucket)?;
        for_wasi(self.kv.delete(&label, &key).await)
    }

    async fn exists(
        &mut self,
        bucket: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        let label = self.label_of(&bucket)?;
        for_wasi(self.kv.exists(&label, &key).await)
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
        for_wasi(
            self.kv
                .get_keys(&label)
                .await
                .map(|keys| store::KeyResponse { keys, cursor: None }),
        )
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
        match self.kv.increment(&label, &key, delta).await {
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
        self.count_store_operation();
        let mut handle = self.table.delete(cas)?;
        let swapped = self
            .kv
            .cas_swap(&handle.label, &handle.key, &mut handle.state, &value)
            .await;
        match swapped {
            Ok(true) => Ok(Ok(())),
            // As Spin does, hand back a fresh CAS that has already read the
            // value now there, so the guest can retry from it.
            Ok(false) => {
                let fresh = async {
                    let mut state = self.kv.new_cas(&handle.key).await?;
                    self.kv
                        .cas_current(&handle.label, &handle.key, &mut state)
                        .await?;
                    Ok::<_, KvError>(state)
                };
                match fresh.await {
                    Ok(state) => {
                        let retry = self.table.push(CasHandle {
                            label: handle.label,
                            key: handle.key,
                            state,
                        })?;
                        Ok(Err(atomics::CasError::CasFailed(retry)))
                    }
                    Err(e) => Ok(Err(atomics::CasError::StoreError(wasi_error(e)))),
                }
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
        match self.kv.new_cas(&key).await {
            Ok(state) => Ok(Ok(self.table.push(CasHandle { label, key, state })?)),
            Err(e) => Ok(Err(wasi_error(e))),
        }
    }

    async fn current(
        &mut self,
        cas: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        self.count_store_operation();
        let kv = self.kv.clone();
        let handle = self.table.get_mut(&cas)?;
        for_wasi(
            kv.cas_current(&handle.label, &handle.key, &mut handle.state)
                .await,
        )
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
        let label = self.label_of(&bucket)?;
        match self.kv.get_many(&label, &keys).await {
            Ok(found) => Ok(Ok(found)),
            Err(GetManyFault::Error(e)) => Ok(Err(wasi_error(e))),
            Err(GetManyFault::Trap(message)) => {
                eprintln!("dev-host: component `{}`: {message}", self.component.id);
                Err(wasmtime::format_err!("{message}"))
            }
        }
    }

    async fn set_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label_of(&bucket)?;
        for_wasi(self.kv.set_many(&label, &key_values).await)
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = self.label_of(&bucket)?;
        for_wasi(self.kv.delete_many(&label, &keys).await)
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
