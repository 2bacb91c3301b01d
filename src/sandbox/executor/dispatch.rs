//! Dispatching a parsed statement to the family of objects it concerns.

use super::session::Context;
use super::{
    Result, account_level, account_usage, auth_policies, grants, network, queries, tokens, users,
    warehouses,
};
use crate::sandbox::result_set::ResultSet;
use crate::sandbox::sql::Statement;

/// Executes one statement.
pub fn execute(statement: &Statement, context: &mut Context<'_>) -> Result<ResultSet> {
    use Statement as S;
    match statement {
        S::CreateUser(create) => users::create(context, create),
        S::AlterUser(alter) => users::alter(context, alter),
        S::DropUser { if_exists, name } => users::drop(context, *if_exists, name),
        S::DescribeUser(name) => users::describe(context, name),
        S::ShowUsers { terse, filter } => users::show(context, *terse, filter),
        S::CreateRole {
            mode,
            name,
            comment,
        } => grants::create_role(context, *mode, name, comment.as_deref()),
        S::DropRole { if_exists, name } => grants::drop_role(context, *if_exists, name),
        S::ShowRoles(filter) => grants::show_roles(context, filter),
        S::GrantRole { role, grantee } => grants::grant(context, role, grantee),
        S::RevokeRole { role, grantee } => grants::revoke(context, role, grantee),
        S::ShowGrantsToUser(user) => grants::show_to_user(context, user),
        S::ShowGrantsOfRole(role) => grants::show_of_role(context, role),
        S::CreateDatabase {
            mode,
            name,
            comment,
        } => account_level::create_database(context, *mode, name, comment.as_deref()),
        S::CreateSchema {
            mode,
            name,
            comment,
        } => account_level::create_schema(context, *mode, name, comment.as_deref()),
        S::CreateNetworkRule(create) => network::create_rule(context, create),
        S::AlterNetworkRule(alter) => network::alter_rule(context, alter),
        S::DropNetworkRule { if_exists, name } => network::drop_rule(context, *if_exists, name),
        S::ShowNetworkRules { filter, scope } => {
            network::show_rules(context, filter, scope.as_ref())
        }
        S::DescribeNetworkRule(name) => network::describe_rule(context, name),
        S::CreateNetworkPolicy(create) => network::create_policy(context, create),
        S::AlterNetworkPolicy(alter) => network::alter_policy(context, alter),
        S::DropNetworkPolicy { if_exists, name } => network::drop_policy(context, *if_exists, name),
        S::ShowNetworkPolicies(filter) => network::show_policies(context, filter),
        S::DescribeNetworkPolicy(name) => network::describe_policy(context, name),
        S::CreateAuthenticationPolicy(create) => auth_policies::create(context, create),
        S::AlterAuthenticationPolicy(alter) => auth_policies::alter(context, alter),
        S::DropAuthenticationPolicy { if_exists, name } => {
            auth_policies::drop(context, *if_exists, name)
        }
        S::ShowAuthenticationPolicies { filter, scope } => {
            auth_policies::show(context, filter, scope.as_ref())
        }
        S::DescribeAuthenticationPolicy(name) => auth_policies::describe(context, name),
        S::AlterAccount(alter) => account_level::alter_account(context, alter),
        S::ShowTokens { user } => tokens::show(context, user.as_ref()),
        S::ShowParameters { like, target } => {
            account_level::show_parameters(context, like.as_deref(), target)
        }
        S::SelectContext(items) => queries::select_context(context, items),
        S::SelectPolicyReferences(query) => queries::policy_references(context, query),
        S::SelectView(query) => account_usage::select(context, query),
        S::CreateWarehouse {
            mode,
            name,
            properties,
        } => warehouses::create(context, *mode, name, properties),
        S::DropWarehouse { if_exists, name } => warehouses::drop(context, *if_exists, name),
        S::ShowWarehouses(filter) => warehouses::show(context, filter),
        S::WarehouseUsage {
            grant,
            warehouse,
            role,
        } => warehouses::usage(context, *grant, warehouse, role),
    }
}
