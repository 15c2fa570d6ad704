//! The live [`Platform`]: the channels area's functions (`channels::get`, `validate`,
//! `publish`) and its outgoing webhooks (`webhooks_out::enqueue`).

use super::{Platform, PostError};
use crate::channels::{self, ChannelError, CredentialKey, webhooks_out};
use crate::clock::Clock;
use crate::social::{
    ChannelId, FieldError, HttpClient, LifecycleEvent, PostContent, PublishOutcome,
};
use crate::store::KvStore;

pub struct LivePlatform<'a, H> {
    pub store: &'a dyn KvStore,
    pub clock: &'a dyn Clock,
    /// `None` when the `credentials_key` variable is not set: nothing can be published then.
    pub key: Option<&'a CredentialKey>,
    pub http: &'a H,
    /// The library's public origin (`public_base_url`), from which Instagram downloads the
    /// library's images; `None` when unset.
    pub public_base_url: Option<&'a str>,
}

impl<H: HttpClient> Platform for LivePlatform<'_, H> {
    fn validate(
        &self,
        channel: &ChannelId,
        content: &PostContent,
    ) -> Result<Option<Vec<FieldError>>, PostError> {
        match channels::get(self.store, channel) {
            Ok(found) => Ok(Some(channels::validate_stored(
                self.store,
                &found,
                content,
                self.public_base_url,
            )?)),
            Err(ChannelError::NotFound) => Ok(None),
            Err(ChannelError::Storage(e)) => Err(PostError::Storage(e)),
            Err(other) => Err(PostError::Storage(crate::store::StoreError::Backend(
                other.to_string(),
            ))),
        }
    }

    fn approval_required(&self, channel: &ChannelId) -> Result<bool, PostError> {
        match channels::get(self.store, channel) {
            Ok(found) => Ok(found.approval_required),
            Err(ChannelError::NotFound) => Ok(true),
            Err(ChannelError::Storage(e)) => Err(PostError::Storage(e)),
            Err(other) => Err(PostError::Storage(crate::store::StoreError::Backend(
                other.to_string(),
            ))),
        }
    }

    async fn publish(
        &self,
        channel: &ChannelId,
        content: &PostContent,
        idempotency_key: &str,
    ) -> PublishOutcome {
        let Some(key) = self.key else {
            eprintln!("cannot publish to channel {channel}: the credentials_key variable is empty");
            return PublishOutcome::RetryLater {
                reason: "the credentials_key variable is not configured".to_owned(),
                retry_after_secs: None,
            };
        };
        channels::publish(
            self.store,
            self.clock,
            key,
            self.http,
            channel,
            content,
            idempotency_key,
            self.public_base_url,
        )
        .await
    }

    /// 1 read of the channel (after publishing, which read it too but keeps no copy).
    fn channel_kind(&self, channel: &ChannelId) -> Option<crate::social::ChannelKind> {
        match channels::get(self.store, channel) {
            Ok(found) => Some(found.kind),
            Err(e) => {
                eprintln!("metrics: cannot read channel {channel}: {e}");
                None
            }
        }
    }

    fn notify(&self, event: LifecycleEvent) -> Result<(), PostError> {
        webhooks_out::enqueue(self.store, self.clock.now(), &event)?;
        Ok(())
    }
}
