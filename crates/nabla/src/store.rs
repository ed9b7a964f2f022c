//! The expression store: every distinct expression lives once in an arena and is named by a small
//! integer [`Id`], so equality is an id comparison and shared subexpressions are shared in memory.
//!
//! Nodes are only ever appended and a node's children exist before it, so a child's id is always
//! smaller than its parent's: walking ids upwards is a valid evaluation order, and no algorithm
//! here needs recursion (deep expressions cannot overflow the stack).
//!
//! Nodes are built through the canonicalising constructors in [`crate::canon`]; [`Store::intern`]
//! is the raw hash-consing step underneath them.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use nabla_autodiff::Real;

use crate::number::Number;

/// The name of an expression in a [`Store`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Id(u32);

impl Id {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An interned symbol name.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Symbol(u32);

/// Named constants.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Constant {
    Pi,
    E,
    /// Unsigned infinity, the value of `1/0` (SymPy's `zoo`).
    ComplexInfinity,
    /// Not a number, the value of `0*zoo`.
    NaN,
}

impl Constant {
    pub fn name(self) -> &'static str {
        match self {
            Constant::Pi => "pi",
            Constant::E => "E",
            Constant::ComplexInfinity => "zoo",
            Constant::NaN => "nan",
        }
    }

    pub fn value(self) -> f64 {
        match self {
            Constant::Pi => std::f64::consts::PI,
            Constant::E => std::f64::consts::E,
            Constant::ComplexInfinity => f64::INFINITY,
            Constant::NaN => f64::NAN,
        }
    }
}

macro_rules! functions {
    ($($variant:ident $name:literal $arity:literal),* $(,)?) => {
        /// The elementary functions nabla knows.
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum Func { $($variant),* }

        impl Func {
            /// Every function, in declaration order.
            pub const ALL: &'static [Func] = &[$(Func::$variant),*];

            /// The name used in input and text output.
            pub fn name(self) -> &'static str {
                match self { $(Func::$variant => $name),* }
            }

            /// Number of arguments.
            pub fn arity(self) -> usize {
                match self { $(Func::$variant => $arity),* }
            }
        }
    };
}

functions! {
    Sin "sin" 1, Cos "cos" 1, Tan "tan" 1, Cot "cot" 1, Sec "sec" 1, Csc "csc" 1,
    Asin "asin" 1, Acos "acos" 1, Atan "atan" 1,
    Sinh "sinh" 1, Cosh "cosh" 1, Tanh "tanh" 1, Asinh "asinh" 1, Acosh "acosh" 1, Atanh "atanh" 1,
    Exp "exp" 1, Log "log" 1, Abs "abs" 1, Sign "sign" 1, Atan2 "atan2" 2,
}

impl Func {
    /// `f(x)` over any [`Real`] number: IEEE semantics for `f64`, derivatives carried along for
    /// the AD numbers. Every evaluator (canonical folding of floats, numeric evaluation,
    /// compiled programs, machine code, tracing) calls this one table.
    ///
    /// ```
    /// use nabla::Func;
    /// assert_eq!(Func::Sign.apply(-3.0), -1.0);
    /// assert_eq!(Func::Cot.apply(1.0_f64), 1.0 / 1.0_f64.tan());
    /// ```
    ///
    /// # Panics
    /// For `atan2`, which takes two arguments.
    pub fn apply<T: Real>(self, x: T) -> T {
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Cot => x.cot(),
            Func::Sec => x.sec(),
            Func::Csc => x.csc(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
            Func::Asinh => x.asinh(),
            Func::Acosh => x.acosh(),
            Func::Atanh => x.atanh(),
            Func::Exp => x.exp(),
            Func::Log => x.ln(),
            Func::Abs => x.abs(),
            Func::Sign => x.signum(),
            Func::Atan2 => panic!("atan2 takes two arguments"),
        }
    }

    /// Looks a function up by its input name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// One expression node. Children are ids of nodes in the same store.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Node {
    Number(Number),
    Symbol(Symbol),
    Constant(Constant),
    /// A sum of at least two terms: no term is an `Add`, at most one is a number and it comes
    /// first, the rest are sorted by id, and no two terms differ only in their coefficient.
    Add(Box<[Id]>),
    /// A product of at least two factors: no factor is a `Mul`, at most one is a number (the
    /// coefficient) and it comes first, the rest are sorted by id with distinct bases.
    Mul(Box<[Id]>),
    Pow(Id, Id),
    Call(Func, Box<[Id]>),
}

/// Most node slots plus child ids a store holds (a few GB). Past it, building an expression unwinds
/// with a [`TooLarge`] payload, which callers catch and report instead of exhausting memory, since
/// some results are inherently huge (the derivative of a chain nested 100,000 deep is a product
/// of 100,000 factors at every level).
pub const STORE_LIMIT: usize = 200_000_000;

/// The panic payload raised when a store would grow past [`STORE_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the expression grew too large (more than {STORE_LIMIT} nodes and operands)"
        )
    }
}

/// Runs `work`, turning a [`TooLarge`] unwind into an error; any other panic continues.
///
/// ```
/// use nabla::store::{catch_too_large, TooLarge};
/// assert_eq!(catch_too_large(|| 2 + 2), Ok(4));
/// ```
pub fn catch_too_large<R>(work: impl FnOnce() -> R) -> Result<R, TooLarge> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(r) => Ok(r),
        Err(payload) if payload.is::<TooLarge>() => Err(TooLarge),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

fn symbol_bit(s: Symbol) -> u64 {
    1 << (s.0 % 64)
}

/// The arena of hash-consed expressions, plus the symbol table.
///
/// ```
/// use nabla::Store;
/// let mut s = Store::new();
/// let x = s.symbol("x");
/// let a = s.add(vec![x, x]);
/// let two = s.int(2);
/// let b = s.mul(vec![two, x]);
/// assert_eq!(a, b); // `x + x` and `2*x` are the same node
/// ```
#[derive(Default)]
pub struct Store {
    nodes: Vec<Node>,
    hashes: Vec<u64>,
    /// Per node, a 64-bit Bloom filter of the symbols it contains (bit `symbol % 64`), so that
    /// differentiation can skip whole subexpressions that cannot depend on the variable.
    symbol_masks: Vec<u64>,
    table: HashTable<Id>,
    symbol_names: Vec<Box<str>>,
    symbol_ids: FxHashMap<Box<str>, Symbol>,
    /// Node slots plus child ids stored so far, held under [`STORE_LIMIT`].
    size: usize,
    /// Derivatives already taken, by (expression, variable); see [`crate::diff`].
    pub(crate) derivatives: FxHashMap<(Id, Symbol), Id>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Number of distinct nodes stored.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id.index()]
    }

    /// Children of `id` (both operands for a power).
    pub fn children(&self, id: Id) -> Vec<Id> {
        let mut children = Vec::new();
        self.push_children(id, &mut children);
        children
    }

    /// Pushes the children of `id` onto `stack`, in [`Store::children`] order: the step of every
    /// depth-first walk, without allocating a vector per node.
    pub(crate) fn push_children(&self, id: Id, stack: &mut Vec<Id>) {
        match self.node(id) {
            Node::Add(c) | Node::Mul(c) | Node::Call(_, c) => stack.extend(c.iter().copied()),
            Node::Pow(b, e) => stack.extend([*b, *e]),
            _ => {}
        }
    }

    /// Whether `id` may contain the symbol `s` (false means it certainly does not).
    pub fn may_contain(&self, id: Id, s: Symbol) -> bool {
        self.symbol_masks[id.index()] & symbol_bit(s) != 0
    }

    /// Stores `node` unless an equal node exists; returns the id either way.
    /// The caller guarantees `node` is in canonical form.
    pub fn intern(&mut self, node: Node) -> Id {
        let hash = FxBuildHasher.hash_one(&node);
        let nodes = &self.nodes;
        if let Some(&id) = self.table.find(hash, |&id| nodes[id.index()] == node) {
            return id;
        }
        let id = Id(u32::try_from(self.nodes.len()).expect("more than 2^32 expression nodes"));
        let mask = match &node {
            Node::Symbol(s) => symbol_bit(*s),
            Node::Add(c) | Node::Mul(c) | Node::Call(_, c) => {
                c.iter().fold(0, |m, c| m | self.symbol_masks[c.index()])
            }
            Node::Pow(b, e) => self.symbol_masks[b.index()] | self.symbol_masks[e.index()],
            Node::Number(_) | Node::Constant(_) => 0,
        };
        self.size += 1 + match &node {
            Node::Add(c) | Node::Mul(c) | Node::Call(_, c) => c.len(),
            _ => 2,
        };
        if self.size > STORE_LIMIT {
            std::panic::panic_any(TooLarge);
        }
        self.symbol_masks.push(mask);
        self.nodes.push(node);
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.table.insert_unique(hash, id, |&id| hashes[id.index()]);
        id
    }

    /// The id of `node` if the store holds it, without adding it.
    pub fn find(&self, node: &Node) -> Option<Id> {
        let hash = FxBuildHasher.hash_one(node);
        self.table
            .find(hash, |&id| self.nodes[id.index()] == *node)
            .copied()
    }

    /// The symbol with this name, creating it on first use.
    pub fn symbol_id(&mut self, name: &str) -> Symbol {
        if let Some(&s) = self.symbol_ids.get(name) {
            return s;
        }
        let s = Symbol(self.symbol_names.len() as u32);
        self.symbol_names.push(name.into());
        self.symbol_ids.insert(name.into(), s);
        s
    }

    /// The expression `name`.
    pub fn symbol(&mut self, name: &str) -> Id {
        let s = self.symbol_id(name);
        self.intern(Node::Symbol(s))
    }

    pub fn symbol_name(&self, s: Symbol) -> &str {
        &self.symbol_names[s.0 as usize]
    }

    /// The symbol with this name if it was ever created.
    pub fn find_symbol(&self, name: &str) -> Option<Symbol> {
        self.symbol_ids.get(name).copied()
    }

    /// A number node; a float that overflowed becomes `zoo` (and NaN becomes `nan`), so that
    /// every stored number prints as something that reads back.
    pub fn number(&mut self, n: Number) -> Id {
        match n {
            Number::Float(x) if x.is_nan() => self.constant(Constant::NaN),
            Number::Float(x) if x.is_infinite() => self.constant(Constant::ComplexInfinity),
            n => self.intern(Node::Number(n)),
        }
    }

    pub fn int(&mut self, n: i64) -> Id {
        self.number(Number::int(n))
    }

    pub fn constant(&mut self, c: Constant) -> Id {
        self.intern(Node::Constant(c))
    }

    /// The number stored at `id`, if it is one.
    pub fn as_number(&self, id: Id) -> Option<&Number> {
        match self.node(id) {
            Node::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_zero(&self, id: Id) -> bool {
        self.as_number(id).is_some_and(Number::is_zero)
    }

    pub fn is_one(&self, id: Id) -> bool {
        self.as_number(id).is_some_and(Number::is_one)
    }

    /// Every node reachable from `root`, children before parents (ascending ids).
    pub fn postorder(&self, root: Id) -> Vec<Id> {
        self.postorder_many(&[root])
    }

    /// Every node reachable from any of `roots`, children before parents.
    pub fn postorder_many(&self, roots: &[Id]) -> Vec<Id> {
        let mut seen = vec![false; roots.iter().map(|r| r.index() + 1).max().unwrap_or(0)];
        let mut stack: Vec<Id> = roots.to_vec();
        let mut order = Vec::new();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.index()], true) {
                continue;
            }
            order.push(id);
            self.push_children(id, &mut stack);
        }
        // Children always have smaller ids than their parents.
        order.sort_unstable();
        order
    }

    /// The symbols occurring in `root`, sorted by name.
    pub fn free_symbols(&self, root: Id) -> Vec<Symbol> {
        self.free_symbols_many(&[root])
    }

    /// The symbols occurring in any of `roots`, sorted by name.
    pub fn free_symbols_many(&self, roots: &[Id]) -> Vec<Symbol> {
        let mut syms: Vec<Symbol> = self
            .postorder_many(roots)
            .into_iter()
            .filter_map(|id| match self.node(id) {
                Node::Symbol(s) => Some(*s),
                _ => None,
            })
            .collect();
        syms.sort_by(|a, b| self.symbol_name(*a).cmp(self.symbol_name(*b)));
        syms.dedup();
        syms
    }

    /// Number of nodes of `root` counted as a tree (shared parts counted each time they occur),
    /// saturating at `u64::MAX`; used to choose the shorter of two equal forms.
    pub fn tree_size(&self, root: Id) -> u64 {
        let order = self.postorder(root);
        let mut size: FxHashMap<Id, u64> = FxHashMap::default();
        for id in order {
            let s = self
                .children(id)
                .iter()
                .fold(1u64, |acc, c| acc.saturating_add(size[c]));
            size.insert(id, s);
        }
        size[&root]
    }
}
