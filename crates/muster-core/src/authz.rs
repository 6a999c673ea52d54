//! Who may do what: the one table of role permissions that every route consults.

use crate::user::Role;

/// Something a caller asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read users, teams and services.
    ReadDirectory,
    /// Create, change and deactivate users and their roles.
    ManageUsers,
    /// Create, change and delete teams and their members.
    ManageTeams,
    /// Create, change and delete services, their integration keys and escalation policies.
    ManageServices,
    /// Create and delete schedules, reorder rotations, add and remove overrides.
    ManageSchedules,
    /// Read the audit log.
    ReadAuditLog,
    /// Read alerts and their logs.
    ReadAlerts,
    /// Raise, acknowledge, resolve and annotate alerts; set alert settings, maintenance windows
    /// and heartbeats of services.
    RespondToAlerts,
    /// Read incidents, their documents, timelines and stakeholder updates; subscribe to updates.
    ReadIncidents,
    /// Declare incidents and take part in them (what each person may do inside one is the
    /// incident's own rule, by the roles they hold).
    RespondToIncidents,
}

impl Role {
    /// Whether this role grants the permission. Stakeholders read; responders also run teams and
    /// services and schedules; admins also manage people and read the audit log.
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::ReadDirectory | Permission::ReadAlerts | Permission::ReadIncidents => true,
            Permission::ManageTeams
            | Permission::ManageServices
            | Permission::ManageSchedules
            | Permission::RespondToAlerts
            | Permission::RespondToIncidents => {
                matches!(self, Role::Admin | Role::Responder)
            }
            Permission::ManageUsers | Permission::ReadAuditLog => self == Role::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Permission::*, *};

    #[test]
    fn permission_table() {
        let table = [
            (Role::Admin, [true, true, true, true, true, true, true, true, true]),
            (Role::Responder, [true, false, true, true, false, true, true, true, true]),
            (Role::Stakeholder, [true, false, false, false, false, true, false, true, false]),
        ];
        for (role, expected) in table {
            let got = [
                ReadDirectory,
                ManageUsers,
                ManageTeams,
                ManageServices,
                ReadAuditLog,
                ReadAlerts,
                RespondToAlerts,
                ReadIncidents,
                RespondToIncidents,
            ]
            .map(|p| role.allows(p));
            assert_eq!(got, expected, "{role}");
        }
    }
}
