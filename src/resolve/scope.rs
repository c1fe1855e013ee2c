//! Name resolution: which table a column comes from, what it joins as, and the bookkeeping of
//! which columns each table must provide.

use std::collections::{BTreeMap, BTreeSet};

use super::bound::{
    AnalysisBase, BExpr, Base, DerivedBase, DerivedSource, PerSubject, Relation, Type,
    per_subject_alias,
};
use super::derived::{analysis_column, derived_column, file_base, frame_base};
use super::error::ResolveError;
use crate::storage::{
    CohortMeta, ColumnMeta, ColumnType, Level, SUBJECT_COLUMN, Snapshot, TableMeta, closest,
};
use crate::syntax::{Cte, Ident, Select, Source, Span};

/// What the arguments of the aggregate being resolved have touched.
#[derive(Debug, Default)]
pub struct ArgUse {
    /// Tables with several rows per subject (other than the base).
    pub multi: BTreeSet<String>,
    /// Whether anything else (the base, a joined table, a per-subject value) was used.
    pub other: bool,
    /// Whether a query-level aggregate appeared inside.
    pub aggregate: bool,
}

/// The catalog of one snapshot, and what a statement has used of it so far.
pub struct Scope<'a> {
    pub snapshot: &'a Snapshot,
    pub tables: Vec<TableMeta>,
    pub cohorts: Vec<CohortMeta>,
    pub base: Base,
    pub relations: BTreeMap<String, Relation>,
    pub per_subject: BTreeMap<String, PerSubject>,
    /// Set while the arguments of an aggregate are resolved.
    pub args: Option<ArgUse>,
    /// Whether the query has a query-level aggregate.
    pub aggregates: bool,
    next_aggregate: usize,
    /// The `WITH` queries in reach, in order: a name refers to the last one that has it, and
    /// each is bound, where it is read, with the ones before it.
    pub ctes: Vec<Cte>,
}

pub fn column_type(ty: ColumnType) -> Type {
    match ty {
        ColumnType::Subject | ColumnType::Utf8 => Type::Text,
        ColumnType::Boolean => Type::Boolean,
        ColumnType::Int64 => Type::Integer,
        ColumnType::Float64 => Type::Float,
        ColumnType::Date32 => Type::Date,
        ColumnType::TextList => Type::TextList,
    }
}

impl<'a> Scope<'a> {
    /// A scope over `snapshot` with no base yet (`Base::Subjects`).
    pub fn new(snapshot: &'a Snapshot) -> Result<Self, ResolveError> {
        Ok(Scope {
            snapshot,
            tables: snapshot.tables()?,
            cohorts: snapshot.cohorts()?,
            base: Base::Subjects,
            relations: BTreeMap::new(),
            per_subject: BTreeMap::new(),
            args: None,
            aggregates: false,
            next_aggregate: 0,
            ctes: Vec::new(),
        })
    }

    /// Binds a query inside this one (`FROM (SELECT …)`, `IN (SELECT …)`, `(SELECT …)`) on
    /// the same snapshot, with the `WITH` queries in `ctes`.
    pub fn subquery(
        &self,
        select: &Select,
        ctes: &[Cte],
    ) -> Result<super::BoundQuery, ResolveError> {
        let mut inner = Scope::new(self.snapshot)?;
        inner.ctes = ctes.to_vec();
        super::select::bind_select(&mut inner, select)
    }

    /// The columns a pattern (`*`, `x*`, `t.*`) expands to from the base itself, when the
    /// base is a relation of its own columns (an analysis's result, a subquery, a file) and
    /// the pattern is not qualified with a stored table.
    pub fn own_columns(&self, qualifier: Option<&Ident>) -> Option<Vec<String>> {
        let mine = |name: &str| qualifier.is_none_or(|q| q.name.eq_ignore_ascii_case(name));
        match &self.base {
            Base::Analysis(a) => Some(a.schema.fields().iter().map(|f| f.name().clone()).collect()),
            Base::Derived(d) if mine(&d.name) || !d.has_subjects() => {
                Some(d.columns.iter().map(|(n, _)| n.clone()).collect())
            }
            _ => None,
        }
    }

    /// The `WITH` query called `name`: its index in [`Scope::ctes`].
    fn cte(&self, name: &str) -> Option<usize> {
        self.ctes
            .iter()
            .rposition(|c| c.name.name.eq_ignore_ascii_case(name))
    }

    /// A query as the base (a subquery or a `WITH` query), named `name`.
    fn derive(&mut self, select: &Select, name: String, ctes: &[Cte]) -> Result<(), ResolveError> {
        let bound = self.subquery(select, ctes)?;
        let columns = bound.items.iter().map(|i| (i.name.clone(), i.ty)).collect();
        self.base = Base::Derived(Box::new(DerivedBase {
            name,
            columns,
            source: DerivedSource::Query(Box::new(bound)),
        }));
        Ok(())
    }

    /// The live table called `name` (table names are lower case).
    pub fn table(&self, name: &str) -> Option<&TableMeta> {
        let folded = name.to_ascii_lowercase();
        self.tables.iter().find(|t| t.name == folded)
    }

    /// The live cohort called `name`.
    pub fn cohort(&self, name: &str) -> Option<&CohortMeta> {
        let folded = name.to_ascii_lowercase();
        self.cohorts.iter().find(|c| c.name == folded)
    }

    /// Every name a `FROM` accepts, for suggestions.
    pub fn source_names(&self) -> Vec<String> {
        let mut names = vec!["subjects".to_string()];
        names.extend(self.tables.iter().map(|t| t.name.clone()));
        names.extend(self.cohorts.iter().map(|c| c.name.clone()));
        names
    }

    /// Binds `FROM name`, `FROM (analysis)`, `FROM (SELECT …)` or `FROM 'file'`.
    pub fn set_base(&mut self, from: &Source) -> Result<(), ResolveError> {
        let from = match from {
            Source::Named(name) => match self.cte(&name.name) {
                Some(k) => {
                    let ctes = self.ctes[..k].to_vec();
                    let select = self.ctes[k].query.clone();
                    return self.derive(&select, name.name.to_ascii_lowercase(), &ctes);
                }
                None => match super::frames().get(&name.name.to_ascii_lowercase()) {
                    Some(batches) => {
                        self.base = Base::Derived(Box::new(frame_base(&name.name, batches)));
                        return Ok(());
                    }
                    None => name,
                },
            },
            Source::Query { query, alias, .. } => {
                let name = alias
                    .as_ref()
                    .map_or("subquery".to_string(), |a| a.name.to_ascii_lowercase());
                let ctes = self.ctes.clone();
                return self.derive(query, name, &ctes);
            }
            Source::File { path, alias } => {
                self.base = Base::Derived(Box::new(file_base(path, alias.as_ref())?));
                return Ok(());
            }
            Source::Analysis(statement) => {
                let bound = super::resolve(statement, self.snapshot)?;
                let (name, schema) = super::analysis_schema(&bound).ok_or_else(|| {
                    ResolveError::Internal(
                        "FROM (…) holds a statement that is not an analysis".into(),
                    )
                })?;
                self.base = Base::Analysis(Box::new(AnalysisBase {
                    name,
                    schema,
                    statement: bound,
                }));
                return Ok(());
            }
        };
        self.base = if from.name.eq_ignore_ascii_case("subjects") {
            Base::Subjects
        } else if let Some(cohort) = self.cohort(&from.name) {
            Base::Cohort(cohort.clone())
        } else if let Some(table) = self.table(&from.name) {
            Base::Table {
                table: table.clone(),
                columns: vec![self.snapshot.column(table, 0)?],
            }
        } else {
            return Err(self.unknown_source(from));
        };
        Ok(())
    }

    pub fn unknown_source(&self, name: &Ident) -> ResolveError {
        let names = self.source_names();
        ResolveError::UnknownTable {
            name: name.name.clone(),
            candidates: closest(
                &name.name.to_ascii_lowercase(),
                names.iter().map(String::as_str),
            ),
            span: name.span,
        }
    }

    fn base_table(&self) -> Option<&TableMeta> {
        match &self.base {
            Base::Table { table, .. } => Some(table),
            _ => None,
        }
    }

    /// Looks a column up in one table: quoted names must match a name or label exactly;
    /// bare names match case-insensitively.
    pub fn lookup(
        &self,
        table: &TableMeta,
        name: &Ident,
    ) -> Result<Option<ColumnMeta>, ResolveError> {
        let matches = self.snapshot.find_columns(table, &name.name)?;
        let exact = matches
            .iter()
            .find(|c| c.name == name.name || c.label.trim() == name.name);
        if name.quoted {
            return Ok(exact.cloned());
        }
        if let Some(exact) = exact {
            return Ok(Some(exact.clone()));
        }
        match matches.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            many => Err(ResolveError::AmbiguousColumn {
                name: name.name.clone(),
                tables: many
                    .iter()
                    .map(|c| format!("`{}`.\"{}\"", table.name, c.name))
                    .collect(),
                span: name.span,
            }),
        }
    }

    /// Whether a bare name is a column of some table (so `count(x)` counts values of the
    /// column rather than rows of a table also called `x`).
    pub fn names_a_column(&self, name: &Ident) -> Result<bool, ResolveError> {
        for table in &self.tables {
            if self.lookup(table, name)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Binds a column reference `[table.]column`.
    pub fn column(&mut self, table: Option<&Ident>, name: &Ident) -> Result<BExpr, ResolveError> {
        if matches!(self.base, Base::Row) {
            let (name, span) = match table {
                Some(t) => (format!("{}.{}", t.name, name.name), t.span.to(name.span)),
                None => (name.name.clone(), name.span),
            };
            return Err(ResolveError::NeedsFrom { name, span });
        }
        if let Base::Analysis(analysis) = &self.base {
            return analysis_column(analysis, table, name);
        }
        if let Base::Derived(derived) = &self.base
            && let Some(bound) = derived_column(derived, table, name)?
        {
            self.touch_other();
            return Ok(bound);
        }
        match table {
            None => self.unqualified_column(name),
            Some(qualifier) => self.qualified_column(qualifier, name),
        }
    }

    /// Binds a bare column name: the base's `subject_id`, or the one table's column it names.
    fn unqualified_column(&mut self, name: &Ident) -> Result<BExpr, ResolveError> {
        if is_subject_id(name) {
            self.touch_other();
            return Ok(subject_id(self.base.alias()));
        }
        let (table, column) = self.find_unqualified(name)?;
        self.use_column(table, column, name.span)
    }

    /// Binds `qualifier.name`: the base's `subject_id` when the qualifier names a base that is
    /// not a table, else the column of the table it names.
    fn qualified_column(&mut self, qualifier: &Ident, name: &Ident) -> Result<BExpr, ResolveError> {
        let base_alias = self.base.alias().to_string();
        let qualifies_base = qualifier.name.eq_ignore_ascii_case(&base_alias)
            || (qualifier.name.eq_ignore_ascii_case("subjects")
                && matches!(self.base, Base::Subjects));
        if qualifies_base && self.base_table().is_none() {
            if is_subject_id(name) {
                self.touch_other();
                return Ok(subject_id(&base_alias));
            }
            return Err(ResolveError::UnknownColumn {
                name: name.name.clone(),
                table: Some(base_alias),
                candidates: vec![SUBJECT_COLUMN.to_string()],
                span: name.span,
            });
        }
        let table = self
            .table(&qualifier.name)
            .cloned()
            .ok_or_else(|| self.unknown_source(qualifier))?;
        let column = match self.lookup(&table, name)? {
            Some(c) => c,
            None => {
                return Err(ResolveError::UnknownColumn {
                    name: name.name.clone(),
                    table: Some(table.name.clone()),
                    candidates: self.snapshot.suggest_columns(&table, &name.name)?,
                    span: name.span,
                });
            }
        };
        self.use_column(table, column, name.span)
    }

    /// Finds the one table holding a bare column name (the base table first).
    fn find_unqualified(&self, name: &Ident) -> Result<(TableMeta, ColumnMeta), ResolveError> {
        if let Some(base) = self.base_table()
            && let Some(column) = self.lookup(base, name)?
        {
            return Ok((base.clone(), column));
        }
        let mut found = Vec::new();
        for table in &self.tables {
            if let Some(column) = self.lookup(table, name)? {
                found.push((table.clone(), column));
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => {
                let mut candidates = Vec::new();
                for table in &self.tables {
                    candidates.extend(self.snapshot.suggest_columns(table, &name.name)?);
                }
                let candidates = closest(
                    &name.name.to_lowercase(),
                    candidates.iter().map(String::as_str),
                );
                Err(ResolveError::UnknownColumn {
                    name: name.name.clone(),
                    table: None,
                    candidates,
                    span: name.span,
                })
            }
            _ => Err(ResolveError::AmbiguousColumn {
                name: name.name.clone(),
                tables: found.iter().map(|(t, _)| t.name.clone()).collect(),
                span: name.span,
            }),
        }
    }

    fn touch_other(&mut self) {
        if let Some(args) = &mut self.args {
            args.other = true;
        }
    }

    /// Records that the query reads `column` of `table`, and returns its reference.
    fn use_column(
        &mut self,
        table: TableMeta,
        column: ColumnMeta,
        span: Span,
    ) -> Result<BExpr, ResolveError> {
        let ty = column_type(column.ty);
        let reference = |relation: &str| BExpr::Column {
            relation: relation.to_string(),
            column: column.name.clone(),
            ty,
        };
        if self.base_table().is_some_and(|b| b.name == table.name) {
            if let Base::Table { columns, .. } = &mut self.base {
                add_column(columns, &column);
            }
            self.touch_other();
            return Ok(reference(&table.name));
        }
        if table.level == Level::Subject {
            self.touch_other();
            let relation = self.relation(&table, span)?;
            add_column(&mut relation.columns, &column);
            return Ok(reference(&table.name));
        }
        match &mut self.args {
            Some(args) => {
                args.multi.insert(table.name.clone());
                let per = self.per_subject(&table, span)?;
                add_column(&mut per.columns, &column);
                Ok(reference(&table.name))
            }
            None => Err(ResolveError::FanOut {
                table: table.name,
                column: column.name,
                span,
            }),
        }
    }

    /// Refuses to join `table` (read at `span`) to a query with no FROM: its rows have no
    /// subject to join on. Every way a table enters a query ([`Scope::relation`],
    /// [`Scope::per_subject`]) passes here.
    fn joinable(&self, table: &TableMeta, span: Span) -> Result<(), ResolveError> {
        match &self.base {
            Base::Row => Err(ResolveError::NeedsFrom {
                name: table.name.clone(),
                span,
            }),
            Base::Derived(d) if !d.has_subjects() => Err(ResolveError::NoSubjectColumn {
                table: table.name.clone(),
                relation: d.name.clone(),
                span,
            }),
            _ => Ok(()),
        }
    }

    /// The joined relation for a one-row-per-subject table, created on first use.
    pub fn relation(
        &mut self,
        table: &TableMeta,
        span: Span,
    ) -> Result<&mut Relation, ResolveError> {
        self.joinable(table, span)?;
        if !self.relations.contains_key(&table.name) {
            let subject = self.snapshot.column(table, 0)?;
            self.relations.insert(
                table.name.clone(),
                Relation {
                    table: table.clone(),
                    columns: vec![subject],
                },
            );
        }
        Ok(self.relations.get_mut(&table.name).expect("just inserted"))
    }

    /// The per-subject reduction of a several-rows-per-subject table, created on first use.
    pub fn per_subject(
        &mut self,
        table: &TableMeta,
        span: Span,
    ) -> Result<&mut PerSubject, ResolveError> {
        self.joinable(table, span)?;
        if !self.per_subject.contains_key(&table.name) {
            let subject = self.snapshot.column(table, 0)?;
            self.per_subject.insert(
                table.name.clone(),
                PerSubject {
                    table: table.clone(),
                    columns: vec![subject],
                    aggregates: Vec::new(),
                },
            );
        }
        Ok(self
            .per_subject
            .get_mut(&table.name)
            .expect("just inserted"))
    }

    /// Adds an aggregate to a table's per-subject reduction; returns the column it becomes.
    pub fn per_subject_aggregate(
        &mut self,
        table: &TableMeta,
        aggregate: BExpr,
        ty: Type,
        span: Span,
    ) -> Result<BExpr, ResolveError> {
        let fresh = format!("__aggregate_{}", self.next_aggregate);
        let per = self.per_subject(table, span)?;
        let name = match per.aggregates.iter().find(|(a, _)| *a == aggregate) {
            Some((_, existing)) => existing.clone(),
            None => {
                per.aggregates.push((aggregate, fresh.clone()));
                self.next_aggregate += 1;
                fresh
            }
        };
        Ok(BExpr::Column {
            relation: per_subject_alias(&table.name),
            column: name,
            ty,
        })
    }
}

fn add_column(columns: &mut Vec<ColumnMeta>, column: &ColumnMeta) {
    if !columns.iter().any(|c| c.ordinal == column.ordinal) {
        columns.push(column.clone());
    }
}

/// Whether a column name is `subject_id` (exactly, when quoted).
fn is_subject_id(name: &Ident) -> bool {
    if name.quoted {
        name.name == SUBJECT_COLUMN
    } else {
        name.name.eq_ignore_ascii_case(SUBJECT_COLUMN)
    }
}

/// `relation.subject_id`.
pub fn subject_id(relation: &str) -> BExpr {
    BExpr::Column {
        relation: relation.to_string(),
        column: SUBJECT_COLUMN.to_string(),
        ty: Type::Text,
    }
}
