//! `bosun bench …`: benchmarks that run the real `bosun server` (and `bosun agent`) as
//! separate processes and print figures. They measure; they assert nothing about speed.

mod api;
mod cluster;

pub use api::{ApiBenchArgs, api};
pub use cluster::{RolloutBenchArgs, SchedulerBenchArgs, rollout, scheduler};
