//! Videos from the platforms libraries use (PeerTube, YouTube, Vimeo, Dailymotion, Twitch),
//! embedded the privacy-friendly way: a live stream on an event page, a demonstration in a
//! tutorial step.
//!
//! Staff paste the address they see in their browser; [`VideoEmbed::parse`] recognises it and
//! gives the player address to put in an `<iframe>`. YouTube is embedded from
//! `youtube-nocookie.com` and Vimeo with `dnt=1`, so watching a library's page does not set
//! trackers before the patron presses play. A URL we do not recognise is not embedded: the page
//! shows a plain link instead, which always works. Pages that embed a player must allow its
//! origin in their `frame-src` policy ([`VideoEmbed::frame_origin`]).

use crate::web::HttpsUrl;

/// The platform a video lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoProvider {
    PeerTube,
    YouTube,
    Vimeo,
    Dailymotion,
    Twitch,
}

impl VideoProvider {
    pub fn name(&self) -> &'static str {
        match self {
            VideoProvider::PeerTube => "PeerTube",
            VideoProvider::YouTube => "YouTube",
            VideoProvider::Vimeo => "Vimeo",
            VideoProvider::Dailymotion => "Dailymotion",
            VideoProvider::Twitch => "Twitch",
        }
    }
}

/// What Twitch plays: a live channel or a recorded video.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TwitchTarget {
    Channel(String),
    Video(String),
}

/// A recognised video, ready to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoEmbed {
    provider: VideoProvider,
    /// The player address, except for Twitch whose player also needs the embedding site's
    /// host (see [`VideoEmbed::embed_src`]).
    player: String,
    twitch: Option<TwitchTarget>,
}

/// Identifiers are letters, digits, `-` and `_`: nothing that could leave the URL's path.
fn is_id(text: &str, max_len: usize) -> bool {
    !text.is_empty()
        && text.len() <= max_len
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl VideoEmbed {
    /// Recognises a watch, share or embed address; `None` for anything else.
    pub fn parse(url: &HttpsUrl) -> Option<VideoEmbed> {
        let rest = &url.as_str()["https://".len()..];
        let (host_port, path_and_query) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = host_port.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, query.split('#').next().unwrap_or("")),
            None => (path_and_query.split('#').next().unwrap_or(""), ""),
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let query_value = |name: &str| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        let embed = |provider, player: String| {
            Some(VideoEmbed {
                provider,
                player,
                twitch: None,
            })
        };

        match (host, segments.as_slice()) {
            ("youtube.com" | "m.youtube.com", ["watch"]) => {
                let id = query_value("v")?;
                is_id(id, 16).then(|| youtube(id))
            }
            ("youtube.com" | "m.youtube.com", ["embed" | "shorts" | "live", id])
            | ("youtu.be", [id])
            | ("youtube-nocookie.com", ["embed", id]) => is_id(id, 16).then(|| youtube(id)),
            ("vimeo.com", [id]) | ("player.vimeo.com", ["video", id])
                if id.bytes().all(|b| b.is_ascii_digit()) && is_id(id, 20) =>
            {
                embed(
                    VideoProvider::Vimeo,
                    format!("https://player.vimeo.com/video/{id}?dnt=1"),
                )
            }
            ("dailymotion.com", ["video", id]) | ("dai.ly", [id]) if is_id(id, 20) => embed(
                VideoProvider::Dailymotion,
                format!("https://geo.dailymotion.com/player.html?video={id}"),
            ),
            ("twitch.tv" | "m.twitch.tv", ["videos", id])
                if id.bytes().all(|b| b.is_ascii_digit()) && is_id(id, 20) =>
            {
                Some(twitch(TwitchTarget::Video((*id).to_owned())))
            }
            ("twitch.tv" | "m.twitch.tv", [channel]) if is_id(channel, 25) => {
                Some(twitch(TwitchTarget::Channel((*channel).to_owned())))
            }
            // PeerTube runs on many servers: recognise its address shapes on any host.
            (_, ["w", id]) | (_, ["videos", "watch" | "embed", id]) if is_id(id, 40) => embed(
                VideoProvider::PeerTube,
                format!("https://{host_port}/videos/embed/{id}"),
            ),
            _ => None,
        }
    }

    pub fn provider(&self) -> VideoProvider {
        self.provider
    }

    /// The `<iframe src>`. `site_host` is the host name of the page that embeds the player
    /// (Twitch refuses to play without it; the others ignore it).
    pub fn embed_src(&self, site_host: &str) -> String {
        let parent: String = site_host
            .split(':')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        match &self.twitch {
            Some(TwitchTarget::Channel(channel)) => {
                format!("{}?channel={channel}&parent={parent}", self.player)
            }
            Some(TwitchTarget::Video(id)) => {
                format!("{}?video={id}&parent={parent}", self.player)
            }
            None => self.player.clone(),
        }
    }

    /// The origin to allow in the page's `frame-src`, e.g. `https://www.youtube-nocookie.com`.
    pub fn frame_origin(&self) -> String {
        let rest = &self.player["https://".len()..];
        let host = rest.split(['/', '?']).next().unwrap_or(rest);
        format!("https://{host}")
    }
}

fn youtube(id: &str) -> VideoEmbed {
    VideoEmbed {
        provider: VideoProvider::YouTube,
        player: format!("https://www.youtube-nocookie.com/embed/{id}"),
        twitch: None,
    }
}

fn twitch(target: TwitchTarget) -> VideoEmbed {
    VideoEmbed {
        provider: VideoProvider::Twitch,
        player: "https://player.twitch.tv/".to_owned(),
        twitch: Some(target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: Option<(&str, &str)>) {
        let parsed = VideoEmbed::parse(&HttpsUrl::parse("video", url, 500).unwrap());
        let got = parsed.as_ref().map(|embed| {
            (
                embed.embed_src("mediatheque.example:443"),
                embed.frame_origin(),
            )
        });
        let expected = expected.map(|(src, origin)| (src.to_owned(), origin.to_owned()));
        assert_eq!(got, expected, "{url}");
    }

    #[test]
    fn recognises_the_usual_addresses() {
        let yt = Some((
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com",
        ));
        check("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", yt);
        check("https://youtu.be/dQw4w9WgXcQ?si=abc", yt);
        check("https://m.youtube.com/shorts/dQw4w9WgXcQ", yt);
        check("https://www.youtube.com/live/dQw4w9WgXcQ", yt);
        check(
            "https://vimeo.com/76979871",
            Some((
                "https://player.vimeo.com/video/76979871?dnt=1",
                "https://player.vimeo.com",
            )),
        );
        check(
            "https://www.dailymotion.com/video/x8abc12",
            Some((
                "https://geo.dailymotion.com/player.html?video=x8abc12",
                "https://geo.dailymotion.com",
            )),
        );
        check(
            "https://www.twitch.tv/mediatheque_live",
            Some((
                "https://player.twitch.tv/?channel=mediatheque_live&parent=mediatheque.example",
                "https://player.twitch.tv",
            )),
        );
        check(
            "https://twitch.tv/videos/123456789",
            Some((
                "https://player.twitch.tv/?video=123456789&parent=mediatheque.example",
                "https://player.twitch.tv",
            )),
        );
        check(
            "https://peertube.example.org/w/9c9de5e8-0a1e-484a-b099-e80766180a6d",
            Some((
                "https://peertube.example.org/videos/embed/9c9de5e8-0a1e-484a-b099-e80766180a6d",
                "https://peertube.example.org",
            )),
        );
        check(
            "https://video.example.fr/videos/watch/kkGMgK9ZtnKfYAgnEtQxbv",
            Some((
                "https://video.example.fr/videos/embed/kkGMgK9ZtnKfYAgnEtQxbv",
                "https://video.example.fr",
            )),
        );
    }

    #[test]
    fn refuses_what_it_does_not_know_or_cannot_trust() {
        check("https://www.youtube.com/watch?list=PL123", None);
        check("https://www.youtube.com/watch?v=abc%22onload", None);
        check("https://vimeo.com/channels/staffpicks", None);
        check("https://example.org/some/page", None);
        check("https://www.twitch.tv/", None);
        check("https://mediatheque.example/catalogue", None);
    }
}
