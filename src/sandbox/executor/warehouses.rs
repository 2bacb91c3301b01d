//! Virtual warehouses: CREATE / DROP / SHOW WAREHOUSES and GRANT / REVOKE USAGE ON WAREHOUSE
//! (docs: sql-reference/sql/create-warehouse, show-warehouses). The sandbox runs nothing on
//! them; they exist so that a statement that needs a warehouse (Corrections 1) can be given one.
//!
//! Defaults are Snowflake's: `X-Small`, STANDARD, AUTO_SUSPEND 600, AUTO_RESUME TRUE, started
//! unless INITIALLY_SUSPENDED = TRUE. CREATE WAREHOUSE needs ACCOUNTADMIN, SECURITYADMIN or
//! SYSADMIN (the role then owns it); a role sees and may use a warehouse it owns or holds USAGE
//! on, directly or through the role hierarchy. An unknown size or type is 002029.

use super::{Context, Result, filter_names};
use crate::sandbox::account::{SYSADMIN, Warehouse};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::Name;
use crate::sandbox::result_set::{Column, ResultSet, encode_bool, encode_timestamp};
use crate::sandbox::sql::ast::{CreateKind, CreateMode, ShowFilter, WarehouseProperties};

/// Default `AUTO_SUSPEND`, seconds.
const DEFAULT_AUTO_SUSPEND: i64 = 600;

/// The accepted spellings of each size and how SHOW prints it.
const SIZES: [(&[&str], &str); 10] = [
    (&["XSMALL", "X-SMALL"], "X-Small"),
    (&["SMALL"], "Small"),
    (&["MEDIUM"], "Medium"),
    (&["LARGE"], "Large"),
    (&["XLARGE", "X-LARGE"], "X-Large"),
    (&["XXLARGE", "X2LARGE", "2X-LARGE"], "2X-Large"),
    (&["XXXLARGE", "X3LARGE", "3X-LARGE"], "3X-Large"),
    (&["X4LARGE", "4X-LARGE"], "4X-Large"),
    (&["X5LARGE", "5X-LARGE"], "5X-Large"),
    (&["X6LARGE", "6X-LARGE"], "6X-Large"),
];
const TYPES: [&str; 2] = ["STANDARD", "SNOWPARK-OPTIMIZED"];

fn may_create(context: &Context<'_>) -> bool {
    context.is_admin()
        || context
            .account
            .role_closure(&context.session.role)
            .contains(&Name::new(SYSADMIN))
}

fn visible(context: &Context<'_>, warehouse: &Warehouse) -> bool {
    context
        .account
        .usable_warehouse(&warehouse.name, &context.session.role)
        .is_some()
}

pub(super) fn create(
    context: &mut Context<'_>,
    mode: CreateMode,
    name: &Name,
    properties: &WarehouseProperties,
) -> Result<ResultSet> {
    if !may_create(context) {
        let account = context.account.name.clone();
        return Err(StatementError::insufficient(ObjectKind::Account, account));
    }
    if context.account.warehouses.contains_key(name) {
        if mode.if_not_exists {
            return Ok(ResultSet::status(format!(
                "{name} already exists, statement succeeded."
            )));
        }
        if mode.kind == CreateKind::Create {
            return Err(StatementError::already_exists(name));
        }
    }
    let size = match &properties.size {
        None => "X-Small",
        Some(size) => SIZES
            .iter()
            .find(|(spellings, _)| spellings.contains(&size.as_str()))
            .map(|(_, shown)| *shown)
            .ok_or_else(|| StatementError::invalid_value("WAREHOUSE_SIZE", size.clone()))?,
    };
    let warehouse_type = match &properties.warehouse_type {
        None => "STANDARD",
        Some(kind) => TYPES
            .iter()
            .find(|known| **known == kind.as_str())
            .copied()
            .ok_or_else(|| StatementError::invalid_value("WAREHOUSE_TYPE", kind.clone()))?,
    };
    let auto_suspend = match properties.auto_suspend {
        None => Some(DEFAULT_AUTO_SUSPEND),
        Some(None) | Some(Some(0)) => None,
        Some(Some(seconds)) if seconds < 0 => {
            return Err(StatementError::invalid_value(
                "AUTO_SUSPEND",
                seconds.to_string(),
            ));
        }
        Some(Some(seconds)) => Some(seconds),
    };
    let warehouse = Warehouse {
        name: name.clone(),
        created_on: context.now,
        owner: context.owner(),
        comment: properties.comment.clone(),
        size: size.to_owned(),
        warehouse_type: warehouse_type.to_owned(),
        auto_suspend,
        auto_resume: properties.auto_resume.unwrap_or(true),
        suspended: properties.initially_suspended.unwrap_or(false),
        usage: Default::default(),
    };
    context.account.warehouses.insert(name.clone(), warehouse);
    Ok(ResultSet::status(format!(
        "Warehouse {name} successfully created."
    )))
}

pub(super) fn drop(context: &mut Context<'_>, if_exists: bool, name: &Name) -> Result<ResultSet> {
    let Some(warehouse) = context.account.warehouses.get(name) else {
        if if_exists {
            return Ok(ResultSet::status(format!(
                "Drop statement executed successfully ({name} already dropped)."
            )));
        }
        return Err(StatementError::does_not_exist(ObjectKind::Warehouse, name));
    };
    let owns = context
        .account
        .role_closure(&context.session.role)
        .contains(&warehouse.owner);
    if !owns && !context.is_admin() {
        return Err(StatementError::insufficient(ObjectKind::Warehouse, name));
    }
    context.account.warehouses.remove(name);
    Ok(ResultSet::status(format!("{name} successfully dropped.")))
}

pub(super) fn usage(
    context: &mut Context<'_>,
    grant: bool,
    warehouse: &Name,
    role: &Name,
) -> Result<ResultSet> {
    context.require_admin(ObjectKind::Warehouse, warehouse)?;
    if !context.account.roles.contains_key(role) {
        return Err(StatementError::does_not_exist(ObjectKind::Role, role));
    }
    let Some(target) = context.account.warehouses.get_mut(warehouse) else {
        return Err(StatementError::does_not_exist(
            ObjectKind::Warehouse,
            warehouse,
        ));
    };
    if grant {
        target.usage.insert(role.clone());
    } else {
        target.usage.remove(role);
    }
    Ok(ResultSet::status("Statement executed successfully."))
}

/// SHOW WAREHOUSES column names, in the order of the show-warehouses doc.
const COLUMNS: [&str; 23] = [
    "name",
    "state",
    "type",
    "size",
    "min_cluster_count",
    "max_cluster_count",
    "started_clusters",
    "running",
    "queued",
    "is_default",
    "is_current",
    "auto_suspend",
    "auto_resume",
    "available",
    "provisioning",
    "quiescing",
    "other",
    "created_on",
    "resumed_on",
    "updated_on",
    "owner",
    "comment",
    "owner_role_type",
];

fn column(name: &str) -> Column {
    match name {
        "created_on" | "resumed_on" | "updated_on" => Column::timestamp(name),
        "min_cluster_count" | "max_cluster_count" | "started_clusters" | "running" | "queued"
        | "auto_suspend" => Column::fixed(name),
        _ => Column::text(name),
    }
}

pub(super) fn show(context: &mut Context<'_>, filter: &ShowFilter) -> Result<ResultSet> {
    let mut result = ResultSet::new(COLUMNS.iter().map(|name| column(name)).collect());
    let current = context
        .current_warehouse()
        .map(|warehouse| warehouse.name.clone());
    let default = context
        .account
        .users
        .get(&context.session.user)
        .and_then(|user| user.default_warehouse.clone());
    let warehouses = filter_names(
        context
            .account
            .warehouses
            .values()
            .filter(|warehouse| visible(context, warehouse))
            .map(|warehouse| (warehouse.name.as_str(), warehouse)),
        filter,
    );
    for warehouse in warehouses {
        let flag = |value: bool| Some(if value { "Y" } else { "N" }.to_owned());
        let started = !warehouse.suspended;
        result.push(
            COLUMNS
                .iter()
                .map(|column| match *column {
                    "name" => Some(warehouse.name.to_string()),
                    "state" => Some(if started { "STARTED" } else { "SUSPENDED" }.to_owned()),
                    "type" => Some(warehouse.warehouse_type.clone()),
                    "size" => Some(warehouse.size.clone()),
                    "min_cluster_count" | "max_cluster_count" => Some("1".to_owned()),
                    "started_clusters" => Some(if started { "1" } else { "0" }.to_owned()),
                    "running" | "queued" => Some("0".to_owned()),
                    "is_default" => flag(default.as_ref() == Some(&warehouse.name)),
                    "is_current" => flag(current.as_ref() == Some(&warehouse.name)),
                    "auto_suspend" => warehouse.auto_suspend.map(|seconds| seconds.to_string()),
                    "auto_resume" => Some(encode_bool(warehouse.auto_resume)),
                    "available" => Some(if started { "100" } else { "" }.to_owned()),
                    "provisioning" | "quiescing" | "other" => {
                        Some(if started { "0" } else { "" }.to_owned())
                    }
                    "created_on" | "updated_on" => Some(encode_timestamp(warehouse.created_on)),
                    "resumed_on" => started.then(|| encode_timestamp(warehouse.created_on)),
                    "owner" => Some(warehouse.owner.to_string()),
                    "comment" => Some(warehouse.comment.clone().unwrap_or_default()),
                    "owner_role_type" => Some("ROLE".to_owned()),
                    _ => None,
                })
                .collect(),
        );
    }
    Ok(result)
}
