//! Filled tables and their conversion to Arrow.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::schema::{ColumnType, TableSpec};

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Unix microseconds, UTC.
    Timestamp(Vec<i64>),
    /// Days since the epoch.
    Date(Vec<i32>),
    /// Strings.
    Utf8(Vec<String>),
    /// 64-bit integers.
    Int64(Vec<i64>),
    /// 32-bit integers.
    Int32(Vec<i32>),
    /// Booleans.
    Bool(Vec<bool>),
    /// 64-bit floats.
    Float64(Vec<f64>),
    /// 64-bit floats with nulls.
    OptFloat64(Vec<Option<f64>>),
    /// 64-bit integers with nulls.
    OptInt64(Vec<Option<i64>>),
    /// 32-bit integers with nulls.
    OptInt32(Vec<Option<i32>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Timestamp(v) | Values::Int64(v) => v.len(),
            Values::Date(v) | Values::Int32(v) => v.len(),
            Values::Utf8(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Float64(v) => v.len(),
            Values::OptFloat64(v) => v.len(),
            Values::OptInt64(v) => v.len(),
            Values::OptInt32(v) => v.len(),
        }
    }

    fn ty(&self) -> ColumnType {
        match self {
            Values::Timestamp(_) => ColumnType::Timestamp,
            Values::Date(_) => ColumnType::Date,
            Values::Utf8(_) => ColumnType::Utf8,
            Values::Int64(_) => ColumnType::Int64,
            Values::Int32(_) => ColumnType::Int32,
            Values::Bool(_) => ColumnType::Bool,
            Values::Float64(_) => ColumnType::Float64,
            Values::OptFloat64(_) => ColumnType::OptFloat64,
            Values::OptInt64(_) => ColumnType::OptInt64,
            Values::OptInt32(_) => ColumnType::OptInt32,
        }
    }

    fn to_array(&self) -> ArrayRef {
        match self {
            Values::Timestamp(v) => {
                Arc::new(TimestampMicrosecondArray::from(v.clone()).with_timezone("UTC"))
            }
            Values::Date(v) => Arc::new(Date32Array::from(v.clone())),
            Values::Utf8(v) => Arc::new(StringArray::from_iter_values(v)),
            Values::Int64(v) => Arc::new(Int64Array::from(v.clone())),
            Values::Int32(v) => Arc::new(Int32Array::from(v.clone())),
            Values::Bool(v) => Arc::new(BooleanArray::from(v.clone())),
            Values::Float64(v) => Arc::new(Float64Array::from(v.clone())),
            Values::OptFloat64(v) => Arc::new(Float64Array::from(v.clone())),
            Values::OptInt64(v) => Arc::new(Int64Array::from(v.clone())),
            Values::OptInt32(v) => Arc::new(Int32Array::from(v.clone())),
        }
    }
}

pub use crate::privacy::disclosure::Disclosed;
use crate::privacy::disclosure::dp::DpNote;

/// A table in the shape of its [`TableSpec`].
#[derive(Debug, Clone)]
pub struct Table {
    /// The table's declaration.
    pub spec: &'static TableSpec,
    /// One entry per column of the spec, in order.
    pub columns: Vec<Values>,
    /// What disclosure control did.
    pub suppression: Option<Disclosed>,
    /// The differential-privacy release the rows come from, in that mode.
    pub dp: Option<TableDp>,
}

/// What a table of a differential-privacy release spent and whether it
/// is a stored release published again.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableDp {
    /// The release's budget, bounds, noise scales and what bounding
    /// dropped.
    #[serde(flatten)]
    pub note: DpNote,
    /// Published again from the budget ledger, unchanged: no new budget
    /// spent, and data that arrived since is not in it.
    pub reused: bool,
}

impl Table {
    /// Pairs values with their spec, checking column count, types and
    /// lengths. A mismatch is a bug in an aggregator, reported as a message.
    pub fn new(spec: &'static TableSpec, columns: Vec<Values>) -> Result<Table, String> {
        if columns.len() != spec.columns.len() {
            return Err(format!(
                "{}: {} columns given, {} declared",
                spec.name,
                columns.len(),
                spec.columns.len()
            ));
        }
        let rows = columns.first().map_or(0, Values::len);
        for (c, s) in columns.iter().zip(spec.columns) {
            if c.ty() != s.ty || c.len() != rows {
                return Err(format!("{}.{}: wrong type or length", spec.name, s.name));
            }
        }
        Ok(Table {
            spec,
            columns,
            suppression: None,
            dp: None,
        })
    }

    /// Records the differential-privacy release the rows come from.
    pub fn with_dp(mut self, note: DpNote, reused: bool) -> Table {
        self.dp = Some(TableDp { note, reused });
        self
    }

    /// Records what disclosure control did to the table.
    pub fn with_suppression(mut self, s: Disclosed) -> Table {
        self.suppression = Some(s);
        self
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Values::len)
    }

    /// The Arrow schema of a table spec; column docs travel as field
    /// metadata (`description`), so a BI user can read them from the file.
    pub fn arrow_schema(spec: &TableSpec) -> Schema {
        let fields: Vec<Field> = spec
            .columns
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    ColumnType::Timestamp => {
                        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
                    }
                    ColumnType::Date => DataType::Date32,
                    ColumnType::Utf8 => DataType::Utf8,
                    ColumnType::Int64 | ColumnType::OptInt64 => DataType::Int64,
                    ColumnType::Int32 | ColumnType::OptInt32 => DataType::Int32,
                    ColumnType::Bool => DataType::Boolean,
                    ColumnType::Float64 | ColumnType::OptFloat64 => DataType::Float64,
                };
                Field::new(c.name, ty, c.ty.nullable()).with_metadata(HashMap::from([(
                    "description".to_string(),
                    c.doc.to_string(),
                )]))
            })
            .collect();
        Schema::new(fields).with_metadata(HashMap::from([(
            "description".to_string(),
            spec.doc.to_string(),
        )]))
    }

    /// The table as one Arrow record batch.
    pub fn to_record_batch(&self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let schema = Arc::new(Self::arrow_schema(self.spec));
        let arrays = self.columns.iter().map(Values::to_array).collect();
        RecordBatch::try_new(schema, arrays)
    }
}
