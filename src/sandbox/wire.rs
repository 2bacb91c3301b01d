//! The SQL API's JSON bodies (reference `sql-api.md` §4, `sqlapi.yaml`): `ResultSet`, the
//! data-only body of partitions after the first, `QueryStatus` (202, 408), `QueryFailureStatus`
//! (422), `CancelStatus`, and the `{"code", "message"}` body of 400 / 401 / 429.
//!
//! Where the documentation's live example and the OpenAPI schema disagree, the schema wins when
//! following the example would make a body invalid: `rowType` `length` / `precision` / `scale`
//! are integers (0 where the example shows null), because the schema types them as non-null
//! integers. The example's extra keys (`database`, `schema`, `table`, `byteLength`,
//! `collation`) and lower-case type names are kept; `statementStatusUrl` is a relative path.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::sandbox::engine::StatementRecord;
use crate::sandbox::error::StatementError;
use crate::sandbox::result_set::{Column, ColumnType, ResultSet};

/// Snowflake's success code and message.
const SUCCESS_CODE: &str = "090001";
const SUCCESS_MESSAGE: &str = "Statement executed successfully.";
/// Largest VARCHAR, what SHOW output columns report.
const MAX_TEXT_LENGTH: u64 = 16_777_216;

/// A response decided before a statement runs: status and JSON body. Small, so that helpers can
/// return it as an error.
pub(crate) struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    pub(crate) fn new(status: StatusCode, body: Value) -> Self {
        Self { status, body }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        json(self.status, &self.body)
    }
}

/// A JSON body with its status and `Content-Type`.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// The relative URL of a statement.
pub fn status_url(handle: &Uuid) -> String {
    format!("/api/v2/statements/{handle}")
}

fn created_on_ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn row_type(column: &Column) -> Value {
    let (length, precision, scale, byte_length) = match column.column_type {
        ColumnType::Text => (MAX_TEXT_LENGTH, 0, 0, json!(MAX_TEXT_LENGTH)),
        ColumnType::Fixed => (0, 38, 0, Value::Null),
        ColumnType::Boolean => (0, 0, 0, Value::Null),
        ColumnType::TimestampLtz => (0, 0, 9, Value::Null),
        ColumnType::Object => (MAX_TEXT_LENGTH, 0, 0, json!(MAX_TEXT_LENGTH)),
    };
    json!({
        "name": column.name,
        "database": "",
        "schema": "",
        "table": "",
        "nullable": column.nullable,
        "type": column.column_type.wire_name(),
        "byteLength": byte_length,
        "length": length,
        "scale": scale,
        "precision": precision,
        "collation": Value::Null,
    })
}

/// The rows of one partition as JSON; `nullable = false` turns NULL into the string `"null"`.
fn partition_data(
    result: &ResultSet,
    partition: usize,
    rows_per_partition: usize,
    nullable: bool,
) -> Value {
    let rows = result
        .rows()
        .chunks(rows_per_partition.max(1))
        .nth(partition)
        .unwrap_or_default();
    Value::Array(
        rows.iter()
            .map(|row| {
                Value::Array(
                    row.iter()
                        .map(|cell| match cell {
                            Some(text) => Value::String(text.clone()),
                            None if nullable => Value::Null,
                            None => Value::String("null".to_owned()),
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

/// How many partitions a result has (at least one, possibly empty).
pub fn partition_count(result: &ResultSet, rows_per_partition: usize) -> usize {
    result
        .rows()
        .len()
        .div_ceil(rows_per_partition.max(1))
        .max(1)
}

/// A complete `ResultSet` body carrying partition 0.
pub fn result_set(
    record: &StatementRecord,
    result: &ResultSet,
    children: Option<&[Uuid]>,
    rows_per_partition: usize,
) -> Value {
    let count = partition_count(result, rows_per_partition);
    let partition_info: Vec<Value> = (0..count)
        .map(|partition| {
            let data = partition_data(result, partition, rows_per_partition, record.nullable);
            let row_count = data.as_array().map_or(0, Vec::len);
            json!({ "rowCount": row_count, "uncompressedSize": data.to_string().len() })
        })
        .collect();
    let mut metadata = json!({
        "numRows": result.rows().len(),
        "format": "jsonv2",
        "partitionInfo": partition_info,
        "rowType": result.columns().iter().map(row_type).collect::<Vec<_>>(),
    });
    if !record.nullable
        && let Some(object) = metadata.as_object_mut()
    {
        object.insert("nullable".to_owned(), Value::Bool(false));
    }
    let mut body = json!({
        "resultSetMetaData": metadata,
        "data": partition_data(result, 0, rows_per_partition, record.nullable),
        "code": SUCCESS_CODE,
        "statementStatusUrl": status_url(&record.handle),
        "sqlState": "00000",
        "statementHandle": record.handle.to_string(),
        "message": SUCCESS_MESSAGE,
        "createdOn": created_on_ms(record.created_on),
    });
    if let (Some(object), Some(children)) = (body.as_object_mut(), children) {
        object.insert(
            "statementHandles".to_owned(),
            Value::Array(
                children
                    .iter()
                    .map(|h| Value::String(h.to_string()))
                    .collect(),
            ),
        );
    }
    body
}

/// The body of partitions after the first: `{"data": …}` only.
pub fn partition(
    record: &StatementRecord,
    result: &ResultSet,
    partition: usize,
    rows_per_partition: usize,
) -> Value {
    json!({ "data": partition_data(result, partition, rows_per_partition, record.nullable) })
}

/// 202 `QueryStatus`: still running.
pub fn in_progress(record: &StatementRecord) -> Value {
    json!({
        "code": "333334",
        "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
        "statementHandle": record.handle.to_string(),
        "statementStatusUrl": status_url(&record.handle),
        "createdOn": created_on_ms(record.created_on),
    })
}

/// 422 `QueryFailureStatus` (and the 408 body, which has the same fields).
pub fn failure(record: &StatementRecord, error: &StatementError) -> Value {
    json!({
        "code": error.code(),
        "sqlState": error.sql_state(),
        "message": error.to_string(),
        "statementHandle": record.handle.to_string(),
        "createdOn": created_on_ms(record.created_on),
        "statementStatusUrl": status_url(&record.handle),
    })
}

/// 422 for a handle the caller cannot see.
pub fn unknown_statement(handle: &str) -> Value {
    let error = StatementError::StatementNotFound {
        handle: handle.to_owned(),
    };
    json!({
        "code": error.code(),
        "sqlState": error.sql_state(),
        "message": error.to_string(),
        "statementHandle": handle,
    })
}

/// 200 / 422 `CancelStatus`.
pub fn cancel_status(record: &StatementRecord, outcome: &StatementError) -> Value {
    json!({
        "code": outcome.code(),
        "sqlState": outcome.sql_state(),
        "message": outcome.to_string(),
        "statementHandle": record.handle.to_string(),
        "statementStatusUrl": status_url(&record.handle),
    })
}

/// `{"code", "message"}` of 400 / 401 / 429 responses.
pub fn error(code: &str, message: impl Into<String>) -> Value {
    json!({ "code": code, "message": message.into() })
}
