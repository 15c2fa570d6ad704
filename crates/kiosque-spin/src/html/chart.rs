//! Accessible SVG bar charts for staff pages (reports, a campaign's engagement): the chart is
//! an image (`role="img"`) named by its `<title>` and described by a `<desc>` that states the
//! figures, and its [`BarChart::table`] is the text alternative that follows it, with a
//! caption and header cells. Colours are told apart by the legend's words and the table,
//! never by colour alone.
//!
//! Empty elements are written `<rect …></rect>`: well-formed XML as well as HTML.

use maud::{Markup, html};

/// Colours of the series, each at least 3:1 against white (WCAG 1.4.11), with luminances
/// spread out (0.107, 0.279, 0.009, 0.055) so that a black-and-white printout still tells
/// them apart as grey levels (and the table beside the chart says every figure): blue,
/// amber, near-black, dark red.
pub const COLOURS: [&str; 4] = ["#1d4ed8", "#d97706", "#111827", "#7f1d1d"];

/// The height of a full bar (the highest value).
pub const PLOT_HEIGHT: u32 = 140;
const TOP: u32 = 24;
const LABELS: u32 = 18;
const LEFT: u32 = 4;

/// One category of a chart (a day, a network, a source) with one value per series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Shown under the bars (when there is room) and in the table's row header.
    pub label: String,
    /// A `datetime` for the table's `<time>` when the category is a day (`YYYY-MM-DD`).
    pub datetime: Option<String>,
    pub values: Vec<u64>,
}

impl Category {
    /// A day (its `Display` is `YYYY-MM-DD`, as a `NaiveDate`'s): the label and the table's
    /// `<time datetime>` both.
    pub fn day(day: impl std::fmt::Display, values: Vec<u64>) -> Category {
        let day = day.to_string();
        Category {
            label: day.clone(),
            datetime: Some(day),
            values,
        }
    }
}

/// A bar chart: categories along the axis, one bar per series in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarChart {
    /// Unique on the page: the ids of the `<title>` and `<desc>` derive from it.
    pub id: String,
    pub title: String,
    /// What the chart shows, with its figures (totals, the highest value).
    pub description: String,
    /// The table's caption.
    pub caption: String,
    /// The header of the table's first column ("Day", "Network").
    pub category_header: String,
    /// The series' names, in the order of each category's values.
    pub series: Vec<String>,
    pub categories: Vec<Category>,
}

impl BarChart {
    fn bar_width(&self) -> u32 {
        if self.categories.len() > 12 { 6 } else { 14 }
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> Markup {
        let series = self.series.len().max(1) as u32;
        let bar = self.bar_width();
        let many = self.categories.len() > 12;
        // With few categories each is labelled under its bars: its group is as wide as its
        // label (about 6.5 px per character at 11 px), so labels never overlap.
        let label_width = |text: &str| text.chars().count() as u32 * 13 / 2 + 12;
        let group = if many {
            series * bar + 4
        } else {
            let widest = self
                .categories
                .iter()
                .map(|c| label_width(&c.label))
                .max()
                .unwrap_or(0);
            (series * bar + 16).max(widest)
        };
        // The legend: each series' swatch and name, one after the other.
        let legend: Vec<u32> = self
            .series
            .iter()
            .scan(LEFT, |x, name| {
                let at = *x;
                *x += 14 + label_width(name) + 8;
                Some(at)
            })
            .collect();
        let legend_end = self
            .series
            .last()
            .zip(legend.last())
            .map_or(0, |(name, at)| at + 14 + label_width(name));
        let plot_width = (self.categories.len() as u32 * group)
            .max(240)
            .max(legend_end);
        let width = plot_width + 2 * LEFT;
        let base = TOP + PLOT_HEIGHT;
        let height = base + LABELS + 4;
        let max = self
            .categories
            .iter()
            .flat_map(|c| c.values.iter().copied())
            .max()
            .unwrap_or(0)
            .max(1);
        let scale = |v: u64| (v.min(max) * u64::from(PLOT_HEIGHT) / max) as u32;
        let title_id = format!("{}-title", self.id);
        let desc_id = format!("{}-desc", self.id);
        // Category labels fit under the bars only when there are few categories; with many
        // (the days of a month) the first and the last name the range, the table the rest.
        let last = self.categories.len().saturating_sub(1);
        html! {
            svg xmlns="http://www.w3.org/2000/svg" role="img"
                aria-labelledby={ (title_id) " " (desc_id) }
                viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
                font-family="sans-serif" font-size="11" {
                title id=(title_id) { (self.title) }
                desc id=(desc_id) { (self.description) }
                @for (i, (name, x)) in self.series.iter().zip(legend.iter().copied()).enumerate() {
                    rect x=(x) y="4" width="10" height="10" fill=(COLOURS[i % COLOURS.len()]) {}
                    text x=(x + 14) y="13" fill="#111111" { (name) }
                }
                @for (i, category) in self.categories.iter().enumerate() {
                    @let x = LEFT + i as u32 * group;
                    @for (s, value) in category.values.iter().enumerate() {
                        @let h = scale(*value);
                        rect x=(x + s as u32 * bar) y=(base - h) width=(bar) height=(h)
                            fill=(COLOURS[s % COLOURS.len()]) {
                            title {
                                (category.label) " : " (value)
                                @if let Some(name) = self.series.get(s) { " " (name) }
                            }
                        }
                    }
                    @if !many || i == 0 {
                        text x=(x) y=(base + 14) fill="#111111" { (category.label) }
                    } @else if i == last {
                        // Anchored at its end, so the last day's label stays inside the image.
                        text x=(x + group) y=(base + 14) text-anchor="end" fill="#111111" {
                            (category.label)
                        }
                    }
                }
                line x1="0" y1=(base) x2=(width) y2=(base) stroke="#111111" {}
            }
        }
    }

    /// The chart's figures as a table: its text alternative.
    pub fn table(&self) -> Markup {
        html! {
            table.chart-data {
                caption { (self.caption) }
                thead {
                    tr {
                        th scope="col" { (self.category_header) }
                        @for name in &self.series { th scope="col" { (name) } }
                    }
                }
                tbody {
                    @for category in &self.categories {
                        tr {
                            th scope="row" {
                                @if let Some(datetime) = &category.datetime {
                                    time datetime=(datetime) { (category.label) }
                                } @else {
                                    (category.label)
                                }
                            }
                            @for value in &category.values { td { (value) } }
                        }
                    }
                }
            }
        }
    }

    /// The chart, its caption and its table, in a `<figure>`.
    pub fn figure(&self) -> Markup {
        html! {
            figure.chart {
                (self.svg())
                figcaption { (self.title) }
                (self.table())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(categories: usize) -> BarChart {
        BarChart {
            id: "views".to_owned(),
            title: "Vues par jour".to_owned(),
            description: "12 vues en tout.".to_owned(),
            caption: "Les chiffres du graphique".to_owned(),
            category_header: "Jour".to_owned(),
            series: vec!["Vues".to_owned(), "<b>".to_owned()],
            categories: (0..categories)
                .map(|i| Category {
                    label: format!("2026-11-{:02}", i + 1),
                    datetime: Some(format!("2026-11-{:02}", i + 1)),
                    values: vec![i as u64, 2],
                })
                .collect(),
        }
    }

    #[test]
    fn a_chart_is_a_named_image_followed_by_its_figures() {
        let figure = chart(3).figure().into_string();
        assert!(figure.contains(r#"role="img" aria-labelledby="views-title views-desc""#));
        assert!(figure.contains(r#"<title id="views-title">Vues par jour</title>"#));
        assert!(figure.contains(r#"<desc id="views-desc">12 vues en tout.</desc>"#));
        // The highest value (2) is full height.
        assert!(figure.contains(&format!(r#"height="{PLOT_HEIGHT}" fill="{}""#, COLOURS[0])));
        assert!(figure.contains("<caption>Les chiffres du graphique</caption>"));
        assert!(figure.contains(r#"<th scope="col">&lt;b&gt;</th>"#));
        assert!(figure.contains(
            r#"<th scope="row"><time datetime="2026-11-03">2026-11-03</time></th><td>2</td><td>2</td>"#
        ));
    }

    #[test]
    fn many_categories_label_only_the_ends_and_zeros_draw_nothing() {
        let svg = chart(30).svg().into_string();
        assert!(svg.contains(">2026-11-01</text>"));
        assert!(svg.contains(">2026-11-30</text>"));
        assert!(!svg.contains(">2026-11-15</text>"));
        let empty = BarChart {
            categories: vec![],
            ..chart(0)
        };
        assert!(empty.svg().into_string().contains("<svg"));
    }
}
