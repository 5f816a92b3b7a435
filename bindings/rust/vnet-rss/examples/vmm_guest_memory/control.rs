//! The device: the control thread, which executes the guest's control-queue commands on the
//! [`TapSteering`] it owns; and the guest's end of the control virtqueue.

use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender};

use vnet_rss::{
    Config, Features, Format, Policy, QueueClassifier, Steerer, SteeringCounters, TapSteering, TapSteeringOptions,
    Validation,
};

use crate::queue_thread::QueueStatus;
use crate::rss_settings::RssSettings;
use crate::{
    DEVICE_LIMITS, PHASE_DEADLINE, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
    VIRTIO_NET_ERR, VIRTIO_NET_OK,
};

/// A message on the control virtqueue: the bytes of a struct virtio_net_ctrl without its ack,
/// which comes back on `ack`. Or the device's shutdown, answered with its counters.
pub(crate) enum ControlMessage {
    Command { bytes: Vec<u8>, ack: Sender<u8> },
    Shutdown { report: Sender<ShutdownReport> },
}

/// What the device says when it shuts down.
pub(crate) struct ShutdownReport {
    pub(crate) counters: Vec<SteeringCounters>,
    pub(crate) steered_by_program: bool,
}

/// The device's control plane: the steering object (made when the guest first configures RSS),
/// the queue threads' classifiers to hand over, and their enable flags.
pub(crate) struct ControlPlane<'a> {
    pub(crate) taps: &'a [OwnedFd],
    pub(crate) statuses: &'a [QueueStatus],
    pub(crate) handoffs: Vec<Sender<QueueClassifier<'a>>>,
    pub(crate) steering: Option<TapSteering<'a>>,
    pub(crate) steered_by_program: bool,
}

impl<'a> ControlPlane<'a> {
    /// Executes control commands until the shutdown.
    pub(crate) fn run(mut self, messages: Receiver<ControlMessage>) {
        while let Ok(message) = messages.recv() {
            match message {
                ControlMessage::Command { bytes, ack } => {
                    let _ = ack.send(self.execute(&bytes));
                }
                ControlMessage::Shutdown { report } => {
                    let _ = report.send(self.shut_down());
                    return;
                }
            }
        }
    }

    /// One struct virtio_net_ctrl: class, command, data; the ack.
    fn execute(&mut self, bytes: &[u8]) -> u8 {
        let result = match bytes {
            [VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, payload @ ..] => self.configure_rss(payload),
            [VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, low, high] => {
                self.set_queue_pairs(u16::from_le_bytes([*low, *high]))
            }
            _ => Err("a command this device does not offer".to_string()),
        };
        match result {
            Ok(()) => VIRTIO_NET_OK,
            Err(_) => VIRTIO_NET_ERR,
        }
    }

    /// VIRTIO_NET_CTRL_MQ_RSS_CONFIG: decoded and validated as an untrusted guest's, with the hash
    /// reporting the guest negotiated (the command carries RSS only); then the steering made (the
    /// first time: device activation) or the configuration applied.
    fn configure_rss(&mut self, payload: &[u8]) -> Result<(), String> {
        let decoded = Config::decode(Format::VirtioRss, Policy::Virtio, payload).map_err(|e| e.to_string())?;
        decoded.validate(Validation::Virtio(DEVICE_LIMITS)).map_err(|e| e.to_string())?;
        let config = decoded.with_features(Features::RSS | Features::HASH_REPORT).map_err(|e| e.to_string())?;
        match self.steering.as_mut() {
            Some(steering) => steering.apply(&config).map_err(|e| e.to_string()),
            None => self.activate(&config),
        }
    }

    /// The steering object over the tap fds with the guest's first configuration (the program
    /// loaded here: root), attached, and each queue thread handed its classifier.
    fn activate(&mut self, config: &Config) -> Result<(), String> {
        let mut steering =
            TapSteering::new(self.taps, config, TapSteeringOptions::default(), None).map_err(|e| e.to_string())?;
        steering.attach().map_err(|e| e.to_string())?;
        self.steered_by_program = steering.state().map_err(|e| e.to_string())? == Steerer::Program;
        for (classifier, handoff) in steering.classifiers().map_err(|e| e.to_string())?.into_iter().zip(&self.handoffs)
        {
            handoff.send(classifier).map_err(|e| e.to_string())?;
        }
        self.steering = Some(steering);
        Ok(())
    }

    /// VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: the queue threads past the pairs stop before their tap
    /// queues detach; the others run once theirs are attached.
    fn set_queue_pairs(&mut self, pairs: u16) -> Result<(), String> {
        let steering = self.steering.as_mut().ok_or("no RSS configuration yet")?;
        for status in self.statuses.iter().skip(usize::from(pairs)) {
            status.enabled.store(false, Ordering::Release);
        }
        steering.set_queue_pairs(pairs).map_err(|e| e.to_string())?;
        for status in self.statuses.iter().take(usize::from(pairs)) {
            status.enabled.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// The counters, then the program detached (the object is destroyed when the queue threads'
    /// classifiers are gone too).
    fn shut_down(&mut self) -> ShutdownReport {
        let counters = self.steering.as_ref().and_then(|steering| steering.statistics().ok()).unwrap_or_default();
        if let Some(mut steering) = self.steering.take() {
            let _ = steering.detach();
        }
        ShutdownReport { counters, steered_by_program: self.steered_by_program }
    }
}

/// The guest's end of the control virtqueue.
pub(crate) struct ControlQueue {
    pub(crate) messages: Sender<ControlMessage>,
}

impl ControlQueue {
    /// Sends class, command and data; the device's ack (VIRTIO_NET_ERR when it does not answer).
    fn command(&self, command: u8, data: &[u8]) -> u8 {
        let (ack, answer) = mpsc::channel();
        let bytes = [&[VIRTIO_NET_CTRL_MQ, command][..], data].concat();
        if self.messages.send(ControlMessage::Command { bytes, ack }).is_err() {
            return VIRTIO_NET_ERR;
        }
        answer.recv_timeout(PHASE_DEADLINE).unwrap_or(VIRTIO_NET_ERR)
    }

    pub(crate) fn rss_config(&self, settings: &RssSettings) -> u8 {
        self.command(VIRTIO_NET_CTRL_MQ_RSS_CONFIG, &settings.command())
    }

    pub(crate) fn queue_pairs(&self, pairs: u16) -> u8 {
        self.command(VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs.to_le_bytes())
    }

    pub(crate) fn shut_down(&self) -> Option<ShutdownReport> {
        let (report, answer) = mpsc::channel();
        self.messages.send(ControlMessage::Shutdown { report }).ok()?;
        answer.recv_timeout(PHASE_DEADLINE).ok()
    }
}
