//! Metadata entries added to a model without rewriting it. A flatbuffer's offsets point
//! forward, so a new root `Model` table is written *before* the old bytes: it points at the
//! old operator codes, subgraphs, description and Buffer tables, and at a new `buffers`
//! vector (the old Buffers plus one holding the entry's data) and a new `metadata` vector
//! (the old entries plus the new one). The old bytes follow unchanged at a multiple of 16
//! bytes, so their alignment holds.
#![warn(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::model::schema;

/// The fields of `Model` in schema.fbs: version, operator_codes, subgraphs, description,
/// buffers, metadata_buffer, metadata, signature_defs.
const MODEL_FIELDS: usize = 8;
const VERSION_SLOT: usize = 0;
const BUFFERS_SLOT: usize = 4;
const METADATA_SLOT: usize = 6;

/// The bytes of the metadata entry `name` of a model, if it has one (the last of that name,
/// as TFLite Micro reads it).
pub fn read_metadata<'a>(bytes: &'a [u8], name: &str) -> Result<Option<&'a [u8]>> {
    let model = schema::root(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    let Some(entry) = model.metadata().into_iter().flatten().rfind(|m| m.name() == Some(name)) else {
        return Ok(None);
    };
    let buffer = model.buffers().and_then(|b| b.iter().nth(entry.buffer() as usize));
    let data = buffer.and_then(|b| b.data()).ok_or_else(|| {
        Error::Malformed(format!("metadata {name} names buffer {}, which holds no data", entry.buffer()))
    })?;
    Ok(Some(data.bytes()))
}

/// Where a uoffset written in the new prefix points: into the prefix, or into the old bytes
/// (which follow the prefix, at an offset known only once the prefix is complete).
#[derive(Clone, Copy)]
enum Target {
    New(usize),
    Old(usize),
}

/// The bytes written before the old model, with the uoffsets still to resolve.
#[derive(Default)]
struct Prefix {
    bytes: Vec<u8>,
    fixups: Vec<(usize, Target)>,
}

impl Prefix {
    fn pos(&self) -> usize {
        self.bytes.len()
    }

    fn align(&mut self, n: usize) {
        self.bytes.resize(self.pos().div_ceil(n) * n, 0);
    }

    fn u32(&mut self, v: u32) -> usize {
        let at = self.pos();
        self.bytes.extend_from_slice(&v.to_le_bytes());
        at
    }

    /// A uoffset at the next position, to `target`.
    fn offset(&mut self, target: Target) -> usize {
        let at = self.u32(0);
        self.fixups.push((at, target));
        at
    }

    /// A table of 4-byte fields (`None`: absent), its vtable just before it. Returns the
    /// table's position and each present field's position.
    fn table(&mut self, fields: &[Option<u32>]) -> (usize, Vec<Option<usize>>) {
        self.align(4);
        let vtable = self.pos();
        let present = fields.iter().flatten().count();
        for v in [2 + fields.len(), 1 + present] {
            self.bytes.extend_from_slice(&(2 * v as u16).to_le_bytes());
        }
        let mut next = 4u16;
        for field in fields {
            let at = if field.is_some() { next } else { 0 };
            next += if field.is_some() { 4 } else { 0 };
            self.bytes.extend_from_slice(&at.to_le_bytes());
        }
        self.align(4);
        let table = self.pos();
        self.u32((table - vtable) as u32); // soffset: the vtable lies `table - vtable` before
        let positions = fields.iter().map(|f| f.map(|v| self.u32(v))).collect();
        (table, positions)
    }

    /// A vector of uoffsets (`None`: filled in later); returns its position and its
    /// elements' positions.
    fn offsets(&mut self, targets: &[Option<Target>]) -> (usize, Vec<usize>) {
        self.align(4);
        let at = self.u32(targets.len() as u32);
        let elements = targets
            .iter()
            .map(|&t| match t {
                Some(t) => self.offset(t),
                None => self.u32(0),
            })
            .collect();
        (at, elements)
    }

    /// Overwrites the u32 written at `at`.
    fn put_u32(&mut self, at: usize, v: u32) -> Result<()> {
        let word = at.checked_add(4).and_then(|end| self.bytes.get_mut(at..end));
        let word = word.ok_or_else(|| Error::Malformed(format!("no word at byte {at} of the export (a bug)")))?;
        word.copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// Pads to 16 bytes, resolves every uoffset and appends the old model.
    fn finish(mut self, old: &[u8]) -> Result<Vec<u8>> {
        self.align(16);
        let start = self.pos();
        let too_large = || Error::Malformed("the exported model would exceed 2 GiB".into());
        if start.checked_add(old.len()).is_none_or(|n| n > i32::MAX as usize) {
            return Err(too_large());
        }
        for (at, target) in std::mem::take(&mut self.fixups) {
            let target = match target {
                Target::New(p) => p,
                Target::Old(p) => start + p,
            };
            // Every target lies after the offset pointing at it, by construction.
            let delta = target.checked_sub(at).and_then(|d| u32::try_from(d).ok()).ok_or_else(too_large)?;
            self.put_u32(at, delta)?;
        }
        self.bytes.extend_from_slice(old);
        Ok(self.bytes)
    }
}

/// Reads the little-endian u32 at `at`.
fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    let word = at.checked_add(4).and_then(|end| bytes.get(at..end));
    word.and_then(|w| w.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| Error::Malformed(format!("a Model field at byte {at} lies beyond the file")))
}

/// `bytes` with a metadata entry `name` holding `data` (any entry of that name replaced),
/// written as a new root table before the unchanged old bytes.
pub(crate) fn with_metadata(bytes: &[u8], name: &str, data: &[u8]) -> Result<Vec<u8>> {
    let model = schema::root(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    let subgraphs = model.subgraphs().map_or(0, |s| s.len());
    if subgraphs != 1 {
        return Err(Error::Malformed(format!("{subgraphs} subgraphs: only single-subgraph models can be exported")));
    }
    let old_buffers: Vec<_> = model.buffers().into_iter().flatten().collect();
    if old_buffers.iter().any(|b| b.offset() > 1) {
        return Err(Error::Malformed(
            "weights stored after the flatbuffer (models above 2 GiB) cannot be exported".into(),
        ));
    }
    let kept: Vec<_> = model.metadata().into_iter().flatten().filter(|m| m.name() != Some(name)).collect();
    let table = model.table();
    let vtable = table.vtable();
    // `VTable::get` reads 0 for a slot beyond the vtable (an absent field).
    let voffset = |slot: usize| vtable.get((4 + 2 * slot) as u16);
    if (MODEL_FIELDS..vtable.num_fields()).any(|slot| voffset(slot) != 0) {
        return Err(Error::Malformed("the Model table has fields newer than this schema".into()));
    }
    // Where each of the old Model's fields lies, if present.
    let field = |slot: usize| (voffset(slot) != 0).then(|| table.loc() + voffset(slot) as usize);

    let mut p = Prefix::default();
    let root = p.u32(0);
    p.bytes.extend_from_slice(b"TFL3");
    let mut fields = [None; MODEL_FIELDS];
    let mut old_targets = Vec::new();
    for (slot, value) in fields.iter_mut().enumerate() {
        match (slot, field(slot)) {
            (BUFFERS_SLOT | METADATA_SLOT, _) => *value = Some(0),
            (VERSION_SLOT, Some(at)) => *value = Some(read_u32(bytes, at)?),
            (_, Some(at)) => {
                let target = at.checked_add(read_u32(bytes, at)? as usize);
                let target = target.ok_or_else(|| Error::Malformed(format!("Model field {slot} points nowhere")))?;
                old_targets.push((slot, target));
                *value = Some(0);
            }
            (_, None) => {}
        }
    }
    let (model_table, positions) = p.table(&fields);
    p.put_u32(root, model_table as u32)?;
    let field_at = |slot: usize| {
        positions.get(slot).copied().flatten().ok_or_else(|| Error::Malformed("missing Model field".into()))
    };
    for (slot, target) in old_targets {
        p.fixups.push((field_at(slot)?, Target::Old(target)));
    }

    let plan_buffer = old_buffers.len();
    let old = |loc: usize| Some(Target::Old(loc));
    let targets: Vec<_> = old_buffers.iter().map(|b| old(b.table().loc())).chain([None]).collect();
    let (buffers, buffer_elems) = p.offsets(&targets);
    p.fixups.push((field_at(BUFFERS_SLOT)?, Target::New(buffers)));
    let targets: Vec<_> = kept.iter().map(|m| old(m.table().loc())).chain([None]).collect();
    let (metadata, metadata_elems) = p.offsets(&targets);
    p.fixups.push((field_at(METADATA_SLOT)?, Target::New(metadata)));

    let index = u32::try_from(plan_buffer).map_err(|_| Error::Malformed("too many buffers".into()))?;
    let (buffer_table, buffer_fields) = p.table(&[Some(0)]);
    let (entry_table, entry_fields) = p.table(&[Some(0), Some(index)]);
    p.align(4);
    let name_at = p.u32(name.len() as u32);
    p.bytes.extend_from_slice(name.as_bytes());
    p.bytes.push(0);
    // TFLM reads the plan as int32s in place: its data starts on a 16-byte boundary.
    while (p.pos() + 4) % 16 != 0 {
        p.bytes.push(0);
    }
    let data_at = p.u32(data.len() as u32);
    p.bytes.extend_from_slice(data);

    let last = |elems: &[usize]| elems.last().copied().ok_or_else(|| Error::Malformed("empty vector".into()));
    let data_field =
        buffer_fields.first().copied().flatten().ok_or_else(|| Error::Malformed("missing Buffer field".into()))?;
    let name_field =
        entry_fields.first().copied().flatten().ok_or_else(|| Error::Malformed("missing Metadata field".into()))?;
    p.fixups.extend([
        (last(&buffer_elems)?, Target::New(buffer_table)),
        (last(&metadata_elems)?, Target::New(entry_table)),
        (data_field, Target::New(data_at)),
        (name_field, Target::New(name_at)),
    ]);
    p.finish(bytes)
}
