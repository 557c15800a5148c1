//! DynamoDB through its API: the tables a stack created (found by their tags, inside or
//! outside the stack), and deleting one — only when a user asked for its data to go
//! (`deploy --allow-data-loss`, `destroy --delete-data`): the stack keeps every table it
//! deletes or replaces (`DeletionPolicy: Retain`).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::Client;

use super::{classify, Aws, AwsError};

/// A table, as `destroy` and `status` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// `ACTIVE`, `CREATING`, … as DynamoDB says it.
    pub status: String,
    pub items: Option<i64>,
    pub bytes: Option<i64>,
}

pub struct DynamoDb {
    client: Client,
}

impl DynamoDb {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.dynamodb() }
    }

    /// The tables whose tag `key` is `value` (not those being deleted).
    pub async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Table>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self.client.list_tables().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListTables", e))?;
            for name in page.table_names() {
                if let Some(t) = self.describe(name).await?.filter(|t| t.tags.get(key).map(String::as_str) == Some(value)) {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// One table with its tags; `None` when it does not exist or is being deleted.
    pub async fn describe(&self, name: &str) -> Result<Option<Table>, AwsError> {
        let described = match self.client.describe_table().table_name(name).send().await {
            Ok(d) => d,
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(None),
            Err(e) => return Err(classify(&format!("DescribeTable {name}"), e)),
        };
        let Some(t) = described.table() else { return Ok(None) };
        let status = t.table_status().map(|s| s.as_str().to_string()).unwrap_or_default();
        if status == "DELETING" {
            return Ok(None);
        }
        let arn = t.table_arn().unwrap_or_default();
        let tagged = self
            .client
            .list_tags_of_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| classify(&format!("ListTagsOfResource {name}"), e))?;
        let tags = tagged.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        Ok(Some(Table { name: name.to_string(), tags, status, items: t.item_count(), bytes: t.table_size_bytes() }))
    }

    /// Delete a table; `Ok(false)` when there was none.
    pub async fn delete(&self, name: &str) -> Result<bool, AwsError> {
        match self.client.delete_table().table_name(name).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(false),
            Err(e) => Err(classify(&format!("DeleteTable {name}"), e)),
        }
    }
}
