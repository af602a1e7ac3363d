// A small GraphQL engine: the `graphql` package is not installed, and matching queries by
// operation name would accept any field the product asks for. This parses the executable
// subset of the language (operations, variables, fragments, @skip/@include), validates the
// document against a typed schema the way GitHub does (unknown fields and arguments, missing
// arguments, variable types, leaf/composite selections, unused variables), then executes it.

// ---------------------------------------------------------------------------------------
// Language

export interface Location {
  line: number
  column: number
}

export type ValueNode =
  | { kind: 'Variable'; name: string; loc: Location }
  | { kind: 'Int' | 'Float'; value: number; loc: Location }
  | { kind: 'String'; value: string; loc: Location }
  | { kind: 'Boolean'; value: boolean; loc: Location }
  | { kind: 'Null'; loc: Location }
  | { kind: 'Enum'; value: string; loc: Location }
  | { kind: 'List'; values: ValueNode[]; loc: Location }
  | { kind: 'Object'; fields: { name: string; value: ValueNode }[]; loc: Location }

export type TypeRef =
  { kind: 'Named'; name: string } | { kind: 'List'; of: TypeRef } | { kind: 'NonNull'; of: TypeRef }

interface Directive {
  name: string
  args: { name: string; value: ValueNode }[]
}

export interface FieldNode {
  kind: 'Field'
  alias?: string
  name: string
  args: { name: string; value: ValueNode; loc: Location }[]
  directives: Directive[]
  selections?: Selection[]
  loc: Location
}

interface FragmentSpread {
  kind: 'FragmentSpread'
  name: string
  directives: Directive[]
  loc: Location
}

interface InlineFragment {
  kind: 'InlineFragment'
  typeCondition?: string
  directives: Directive[]
  selections: Selection[]
  loc: Location
}

type Selection = FieldNode | FragmentSpread | InlineFragment

interface VariableDefinition {
  name: string
  type: TypeRef
  defaultValue?: ValueNode
  loc: Location
}

export interface OperationNode {
  operation: 'query' | 'mutation' | 'subscription'
  name?: string
  variables: VariableDefinition[]
  selections: Selection[]
  loc: Location
}

interface FragmentNode {
  name: string
  typeCondition: string
  selections: Selection[]
  loc: Location
}

export interface DocumentNode {
  operations: OperationNode[]
  fragments: Map<string, FragmentNode>
}

export class GraphQLSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: Location
  ) {
    super(message)
  }
}

type TokenKind = 'punct' | 'name' | 'int' | 'float' | 'string' | 'eof'

interface Token {
  kind: TokenKind
  value: string
  loc: Location
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const loc = (at: number): Location => ({ line, column: at - lineStart + 1 })
  while (i < source.length) {
    const ch = source[i] ?? ''
    if (ch === '\n') {
      i++
      line++
      lineStart = i
      continue
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === ',' || ch === '\ufeff') {
      i++
      continue
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++
      continue
    }
    if (source.startsWith('...', i)) {
      tokens.push({ kind: 'punct', value: '...', loc: loc(i) })
      i += 3
      continue
    }
    if ('!$&()/:=@[]{}|'.includes(ch)) {
      tokens.push({ kind: 'punct', value: ch, loc: loc(i) })
      i++
      continue
    }
    if (/[_A-Za-z]/.test(ch)) {
      const start = i
      while (i < source.length && /[_0-9A-Za-z]/.test(source[i] ?? '')) i++
      tokens.push({ kind: 'name', value: source.slice(start, i), loc: loc(start) })
      continue
    }
    if (/[-0-9]/.test(ch)) {
      const found = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i))
      if (!found) throw new GraphQLSyntaxError(`Unexpected character "${ch}"`, loc(i))
      const kind = found[2] !== undefined || found[3] !== undefined ? 'float' : 'int'
      tokens.push({ kind, value: found[0], loc: loc(i) })
      i += found[0].length
      continue
    }
    if (source.startsWith('"""', i)) {
      const start = i
      const end = source.indexOf('"""', i + 3)
      if (end < 0) throw new GraphQLSyntaxError('Unterminated string', loc(i))
      const raw = source.slice(i + 3, end).replace(/\\"""/g, '"""')
      for (const c of source.slice(i, end + 3)) {
        if (c === '\n') line++
      }
      i = end + 3
      tokens.push({ kind: 'string', value: blockString(raw), loc: loc(start) })
      continue
    }
    if (ch === '"') {
      const start = i
      let value = ''
      i++
      for (;;) {
        const c = source[i]
        if (c === undefined || c === '\n')
          throw new GraphQLSyntaxError('Unterminated string', loc(start))
        if (c === '"') break
        if (c === '\\') {
          const next = source[i + 1] ?? ''
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' }
          if (next === 'u') {
            value += String.fromCharCode(Number.parseInt(source.slice(i + 2, i + 6), 16))
            i += 6
            continue
          }
          value += simple[next] ?? next
          i += 2
          continue
        }
        value += c
        i++
      }
      i++
      tokens.push({ kind: 'string', value, loc: loc(start) })
      continue
    }
    throw new GraphQLSyntaxError(`Unexpected character "${ch}"`, loc(i))
  }
  tokens.push({ kind: 'eof', value: '', loc: loc(i) })
  return tokens
}

function blockString(raw: string): string {
  const lines = raw.split(/\r\n|\n|\r/)
  let indent = Infinity
  for (const text of lines.slice(1)) {
    const lead = /^[ \t]*/.exec(text)?.[0].length ?? 0
    if (lead < text.length) indent = Math.min(indent, lead)
  }
  const out = lines.map((text, n) => (n === 0 || indent === Infinity ? text : text.slice(indent)))
  while (out.length > 0 && (out[0] ?? '').trim() === '') out.shift()
  while (out.length > 0 && (out[out.length - 1] ?? '').trim() === '') out.pop()
  return out.join('\n')
}

class Parser {
  private at = 0
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.at] ?? this.tokens[this.tokens.length - 1]!
  }

  private next(): Token {
    const token = this.peek()
    this.at++
    return token
  }

  private is(value: string): boolean {
    const token = this.peek()
    return token.kind === 'punct' && token.value === value
  }

  private fail(token: Token): never {
    const shown =
      token.kind === 'eof' ? 'end of file' : `"${token.value}" (${token.kind.toUpperCase()})`
    throw new GraphQLSyntaxError(
      `Parse error on ${shown} at [${token.loc.line}, ${token.loc.column}]`,
      token.loc
    )
  }

  private expect(value: string): Token {
    const token = this.next()
    if (token.kind !== 'punct' || token.value !== value) this.fail(token)
    return token
  }

  private name(): string {
    const token = this.next()
    if (token.kind !== 'name') this.fail(token)
    return token.value
  }

  document(): DocumentNode {
    const doc: DocumentNode = { operations: [], fragments: new Map() }
    while (this.peek().kind !== 'eof') {
      const token = this.peek()
      if (this.is('{')) {
        doc.operations.push({
          operation: 'query',
          variables: [],
          selections: this.selectionSet(),
          loc: token.loc
        })
      } else if (token.kind === 'name' && token.value === 'fragment') {
        this.next()
        const name = this.name()
        if (this.name() !== 'on') this.fail(this.tokens[this.at - 1]!)
        const typeCondition = this.name()
        this.directives()
        doc.fragments.set(name, {
          name,
          typeCondition,
          selections: this.selectionSet(),
          loc: token.loc
        })
      } else if (
        token.kind === 'name' &&
        ['query', 'mutation', 'subscription'].includes(token.value)
      ) {
        this.next()
        const operation = token.value as OperationNode['operation']
        const name = this.peek().kind === 'name' ? this.name() : undefined
        const variables = this.is('(') ? this.variableDefinitions() : []
        this.directives()
        doc.operations.push({
          operation,
          name,
          variables,
          selections: this.selectionSet(),
          loc: token.loc
        })
      } else {
        this.fail(token)
      }
    }
    return doc
  }

  private variableDefinitions(): VariableDefinition[] {
    const out: VariableDefinition[] = []
    this.expect('(')
    while (!this.is(')')) {
      const loc = this.expect('$').loc
      const name = this.name()
      this.expect(':')
      const type = this.typeRef()
      let defaultValue: ValueNode | undefined
      if (this.is('=')) {
        this.next()
        defaultValue = this.value(true)
      }
      this.directives()
      out.push({ name, type, defaultValue, loc })
    }
    this.expect(')')
    return out
  }

  private typeRef(): TypeRef {
    let type: TypeRef
    if (this.is('[')) {
      this.next()
      type = { kind: 'List', of: this.typeRef() }
      this.expect(']')
    } else {
      type = { kind: 'Named', name: this.name() }
    }
    if (this.is('!')) {
      this.next()
      type = { kind: 'NonNull', of: type }
    }
    return type
  }

  private directives(): Directive[] {
    const out: Directive[] = []
    while (this.is('@')) {
      this.next()
      const name = this.name()
      out.push({ name, args: this.is('(') ? this.arguments() : [] })
    }
    return out
  }

  private arguments(): { name: string; value: ValueNode; loc: Location }[] {
    const out: { name: string; value: ValueNode; loc: Location }[] = []
    this.expect('(')
    while (!this.is(')')) {
      const loc = this.peek().loc
      const name = this.name()
      this.expect(':')
      out.push({ name, value: this.value(false), loc })
    }
    this.expect(')')
    return out
  }

  private value(constant: boolean): ValueNode {
    const token = this.peek()
    const loc = token.loc
    if (token.kind === 'punct') {
      if (token.value === '$' && !constant) {
        this.next()
        return { kind: 'Variable', name: this.name(), loc }
      }
      if (token.value === '[') {
        this.next()
        const values: ValueNode[] = []
        while (!this.is(']')) values.push(this.value(constant))
        this.next()
        return { kind: 'List', values, loc }
      }
      if (token.value === '{') {
        this.next()
        const fields: { name: string; value: ValueNode }[] = []
        while (!this.is('}')) {
          const name = this.name()
          this.expect(':')
          fields.push({ name, value: this.value(constant) })
        }
        this.next()
        return { kind: 'Object', fields, loc }
      }
      this.fail(token)
    }
    this.next()
    if (token.kind === 'int') return { kind: 'Int', value: Number(token.value), loc }
    if (token.kind === 'float') return { kind: 'Float', value: Number(token.value), loc }
    if (token.kind === 'string') return { kind: 'String', value: token.value, loc }
    if (token.kind === 'name') {
      if (token.value === 'true' || token.value === 'false') {
        return { kind: 'Boolean', value: token.value === 'true', loc }
      }
      if (token.value === 'null') return { kind: 'Null', loc }
      return { kind: 'Enum', value: token.value, loc }
    }
    this.fail(token)
  }

  private selectionSet(): Selection[] {
    const out: Selection[] = []
    this.expect('{')
    while (!this.is('}')) out.push(this.selection())
    this.expect('}')
    if (out.length === 0) this.fail(this.tokens[this.at - 1]!)
    return out
  }

  private selection(): Selection {
    const token = this.peek()
    if (this.is('...')) {
      this.next()
      const next = this.peek()
      if (next.kind === 'name' && next.value !== 'on') {
        this.next()
        return {
          kind: 'FragmentSpread',
          name: next.value,
          directives: this.directives(),
          loc: token.loc
        }
      }
      let typeCondition: string | undefined
      if (next.kind === 'name' && next.value === 'on') {
        this.next()
        typeCondition = this.name()
      }
      const directives = this.directives()
      return {
        kind: 'InlineFragment',
        typeCondition,
        directives,
        selections: this.selectionSet(),
        loc: token.loc
      }
    }
    let name = this.name()
    let alias: string | undefined
    if (this.is(':')) {
      this.next()
      alias = name
      name = this.name()
    }
    const args = this.is('(') ? this.arguments() : []
    const directives = this.directives()
    const selections = this.is('{') ? this.selectionSet() : undefined
    return { kind: 'Field', alias, name, args, directives, selections, loc: token.loc }
  }
}

export function parse(source: string): DocumentNode {
  return new Parser(tokenize(source)).document()
}

// ---------------------------------------------------------------------------------------
// Schema

export interface ResolveInfo {
  path: (string | number)[]
  fieldName: string
}

export type Resolver<C> = (
  parent: unknown,
  args: Record<string, unknown>,
  ctx: C,
  info: ResolveInfo
) => unknown

export interface FieldDef<C> {
  /** SDL type: `String`, `Int!`, `[PullRequestReviewThread]!`… */
  type: string
  args?: Record<string, string>
  resolve?: Resolver<C>
}

export type TypeDef<C> =
  | { kind: 'object'; interfaces?: string[]; fields: Record<string, FieldDef<C>> }
  | {
      kind: 'interface'
      fields: Record<string, FieldDef<C>>
      /** The concrete object type of a value. */
      resolveType: (value: unknown) => string
    }
  | { kind: 'enum'; values: string[] }
  | { kind: 'input'; fields: Record<string, string> }
  | { kind: 'scalar'; coerce?: (value: unknown) => unknown }

export interface Schema<C> {
  types: Record<string, TypeDef<C>>
  query: string
  mutation?: string
}

/** An error a resolver throws to answer the field with null and a GitHub-shaped error entry. */
export class FieldError extends Error {
  constructor(
    message: string,
    readonly type?: string
  ) {
    super(message)
  }
}

export interface GraphQLError {
  message: string
  type?: string
  path?: (string | number)[]
  locations?: Location[]
  extensions?: Record<string, unknown>
}

export interface GraphQLResult {
  data?: Record<string, unknown> | null
  errors?: GraphQLError[]
}

const BUILTIN_SCALARS = ['String', 'Int', 'Float', 'Boolean', 'ID']

function parseTypeString(text: string): TypeRef {
  const tokens = tokenize(text)
  let at = 0
  const read = (): TypeRef => {
    const token = tokens[at++]
    let type: TypeRef
    if (token?.value === '[') {
      type = { kind: 'List', of: read() }
      at++
    } else {
      type = { kind: 'Named', name: token?.value ?? '' }
    }
    if (tokens[at]?.value === '!') {
      at++
      type = { kind: 'NonNull', of: type }
    }
    return type
  }
  return read()
}

function named(type: TypeRef): string {
  return type.kind === 'Named' ? type.name : named(type.of)
}

function show(type: TypeRef): string {
  if (type.kind === 'Named') return type.name
  if (type.kind === 'List') return `[${show(type.of)}]`
  return `${show(type.of)}!`
}

// ---------------------------------------------------------------------------------------
// Validation and execution

interface Run<C> {
  schema: Schema<C>
  doc: DocumentNode
  ctx: C
  variables: Record<string, unknown>
  errors: GraphQLError[]
  typeCache: Map<string, TypeRef>
}

function typeOf<C>(run: Run<C>, text: string): TypeRef {
  let type = run.typeCache.get(text)
  if (!type) {
    type = parseTypeString(text)
    run.typeCache.set(text, type)
  }
  return type
}

function isLeaf<C>(schema: Schema<C>, name: string): boolean {
  const def = schema.types[name]
  return BUILTIN_SCALARS.includes(name) || def?.kind === 'scalar' || def?.kind === 'enum'
}

function fieldsOf<C>(schema: Schema<C>, typeName: string): Record<string, FieldDef<C>> | undefined {
  const def = schema.types[typeName]
  return def?.kind === 'object' || def?.kind === 'interface' ? def.fields : undefined
}

/** Whether a value of object type `objectType` satisfies a fragment's type condition. */
function applies<C>(schema: Schema<C>, condition: string | undefined, objectType: string): boolean {
  if (condition === undefined || condition === objectType) return true
  const def = schema.types[objectType]
  return def?.kind === 'object' && (def.interfaces ?? []).includes(condition)
}

function validate<C>(schema: Schema<C>, doc: DocumentNode, op: OperationNode): GraphQLError[] {
  const errors: GraphQLError[] = []
  const declared = new Map(op.variables.map(v => [v.name, v]))
  const used = new Set<string>()
  const opLabel = `${op.operation}${op.name ? ` ${op.name}` : ''}`
  const typeCache = new Map<string, TypeRef>()
  const typeRef = (text: string): TypeRef => {
    let found = typeCache.get(text)
    if (!found) typeCache.set(text, (found = parseTypeString(text)))
    return found
  }

  for (const variable of op.variables) {
    const base = named(variable.type)
    const def = schema.types[base]
    if (
      !BUILTIN_SCALARS.includes(base) &&
      def?.kind !== 'scalar' &&
      def?.kind !== 'enum' &&
      def?.kind !== 'input'
    ) {
      errors.push({
        message: `${base} isn't a valid input type (on $${variable.name})`,
        locations: [variable.loc],
        extensions: { code: 'variableRequiresValidType' }
      })
    }
  }

  const checkValue = (value: ValueNode, expected: TypeRef, where: string, path: string[]): void => {
    if (value.kind === 'Variable') {
      used.add(value.name)
      const variable = declared.get(value.name)
      if (!variable) {
        errors.push({
          message: `Variable $${value.name} is used by ${op.name ?? 'anonymous query'} but not declared`,
          locations: [value.loc],
          path,
          extensions: { code: 'variableNotDefined', variableName: value.name }
        })
        return
      }
      const wantsNonNull = expected.kind === 'NonNull'
      const hasNonNull = variable.type.kind === 'NonNull' || variable.defaultValue !== undefined
      if (named(variable.type) !== named(expected)) {
        errors.push({
          message: `Type mismatch on variable $${value.name} and argument ${where} (${show(variable.type)} / ${show(expected)})`,
          locations: [value.loc],
          path,
          extensions: { code: 'variableMismatch', variableName: value.name }
        })
      } else if (wantsNonNull && !hasNonNull) {
        errors.push({
          message: `Nullability mismatch on variable $${value.name} and argument ${where} (${show(variable.type)} / ${show(expected)})`,
          locations: [value.loc],
          path,
          extensions: { code: 'variableMismatch', variableName: value.name }
        })
      }
      return
    }
    const inner = expected.kind === 'NonNull' ? expected.of : expected
    if (value.kind === 'Null') {
      if (expected.kind === 'NonNull') invalid(value, expected, where, path, 'null')
      return
    }
    if (inner.kind === 'List') {
      for (const item of value.kind === 'List' ? value.values : [value])
        checkValue(item, inner.of, where, path)
      return
    }
    if (inner.kind !== 'Named') return
    const def = schema.types[inner.name]
    if (def?.kind === 'input') {
      if (value.kind !== 'Object') return invalid(value, expected, where, path, describe(value))
      for (const field of value.fields) {
        const fieldType = def.fields[field.name]
        if (fieldType === undefined) {
          return invalid(
            value,
            expected,
            where,
            path,
            `${describe(value)}: unknown field ${field.name}`
          )
        }
        checkValue(field.value, typeRef(fieldType), field.name, path)
      }
      for (const [field, fieldType] of Object.entries(def.fields)) {
        if (fieldType.endsWith('!') && !value.fields.some(f => f.name === field)) {
          return invalid(value, expected, where, path, `${describe(value)}: missing ${field}`)
        }
      }
      return
    }
    const problem = literalProblem(schema, value, inner)
    if (problem) invalid(value, expected, where, path, problem)
  }

  const invalid = (
    value: ValueNode,
    expected: TypeRef,
    where: string,
    path: string[],
    problem: string
  ): void => {
    errors.push({
      message: `Argument '${where}' has an invalid value (${problem}). Expected type '${show(expected)}'.`,
      locations: [value.loc],
      path,
      extensions: { code: 'argumentLiteralsIncompatible', argumentName: where }
    })
  }

  const visit = (
    selections: Selection[],
    typeName: string,
    path: string[],
    seen: Set<string>
  ): void => {
    const fields = fieldsOf(schema, typeName)
    for (const selection of selections) {
      for (const directive of selection.directives) {
        if (directive.name !== 'skip' && directive.name !== 'include') {
          errors.push({ message: `Directive @${directive.name} is not defined`, path })
          continue
        }
        const condition = directive.args.find(arg => arg.name === 'if')
        if (!condition)
          errors.push({
            message: `Directive '@${directive.name}' is missing required arguments: if`,
            path
          })
        else
          checkValue(
            condition.value,
            { kind: 'NonNull', of: { kind: 'Named', name: 'Boolean' } },
            'if',
            path
          )
      }
      if (selection.kind === 'FragmentSpread') {
        const fragment = doc.fragments.get(selection.name)
        if (!fragment) {
          errors.push({
            message: `Fragment ${selection.name} was used, but not defined`,
            locations: [selection.loc],
            path
          })
          continue
        }
        if (seen.has(fragment.name)) {
          errors.push({ message: `Fragment ${fragment.name} contains an infinite loop`, path })
          continue
        }
        if (!schema.types[fragment.typeCondition]) {
          errors.push({
            message: `No such type ${fragment.typeCondition}, so it can't be a fragment condition`,
            path
          })
          continue
        }
        visit(fragment.selections, fragment.typeCondition, path, new Set([...seen, fragment.name]))
        continue
      }
      if (selection.kind === 'InlineFragment') {
        const condition = selection.typeCondition ?? typeName
        if (!schema.types[condition]) {
          errors.push({
            message: `No such type ${condition}, so it can't be a fragment condition`,
            locations: [selection.loc],
            path
          })
          continue
        }
        visit(selection.selections, condition, path, seen)
        continue
      }
      const fieldPath = [...path, selection.alias ?? selection.name]
      if (selection.name === '__typename') continue
      const def = fields?.[selection.name]
      if (!def) {
        errors.push({
          message: `Field '${selection.name}' doesn't exist on type '${typeName}'`,
          locations: [selection.loc],
          path: fieldPath,
          extensions: { code: 'undefinedField', typeName, fieldName: selection.name }
        })
        continue
      }
      const argDefs = def.args ?? {}
      for (const arg of selection.args) {
        const argType = argDefs[arg.name]
        if (argType === undefined) {
          errors.push({
            message: `Field '${selection.name}' doesn't accept argument '${arg.name}'`,
            locations: [arg.loc],
            path: [...fieldPath, arg.name],
            extensions: {
              code: 'argumentNotAccepted',
              name: selection.name,
              typeName: 'Field',
              argumentName: arg.name
            }
          })
          continue
        }
        checkValue(arg.value, typeRef(argType), arg.name, [...fieldPath, arg.name])
      }
      const missing = Object.entries(argDefs)
        .filter(
          ([name, type]) => type.endsWith('!') && !selection.args.some(arg => arg.name === name)
        )
        .map(([name]) => name)
      if (missing.length > 0) {
        errors.push({
          message: `Field '${selection.name}' is missing required arguments: ${missing.join(', ')}`,
          locations: [selection.loc],
          path: fieldPath,
          extensions: {
            code: 'missingRequiredArguments',
            className: 'Field',
            name: selection.name,
            arguments: missing.join(', ')
          }
        })
      }
      const returns = named(typeRef(def.type))
      if (isLeaf(schema, returns)) {
        if (selection.selections) {
          errors.push({
            message: `Selections can't be made on ${schema.types[returns]?.kind === 'enum' ? 'enums' : 'scalars'} (field '${selection.name}' returns ${returns} but has selections [${selection.selections.map(s => (s.kind === 'Field' ? s.name : '...')).join(', ')}])`,
            locations: [selection.loc],
            path: fieldPath,
            extensions: { code: 'selectionMismatch', nodeName: `field '${selection.name}'` }
          })
        }
      } else if (!selection.selections) {
        errors.push({
          message: `Field must have selections (field '${selection.name}' returns ${returns} but has no selections. Did you mean '${selection.name} { ... }'?)`,
          locations: [selection.loc],
          path: fieldPath,
          extensions: { code: 'selectionMismatch', nodeName: `field '${selection.name}'` }
        })
      } else {
        visit(selection.selections, returns, fieldPath, seen)
      }
    }
  }

  const root =
    op.operation === 'mutation'
      ? schema.mutation
      : op.operation === 'query'
        ? schema.query
        : undefined
  if (!root) {
    errors.push({ message: `Schema is not configured for ${op.operation}s`, locations: [op.loc] })
    return errors
  }
  visit(op.selections, root, [opLabel], new Set())
  for (const variable of op.variables) {
    if (!used.has(variable.name)) {
      errors.push({
        message: `Variable $${variable.name} is declared by ${op.name ?? 'anonymous query'} but not used`,
        locations: [variable.loc],
        path: [opLabel],
        extensions: { code: 'variableNotUsed', variableName: variable.name }
      })
    }
  }
  return errors
}

/** Whether a literal fits a scalar or enum type; lists and input objects are walked by the caller. */
function literalProblem<C>(
  schema: Schema<C>,
  value: ValueNode,
  expected: TypeRef
): string | undefined {
  if (expected.kind !== 'Named') return undefined
  const name = expected.name
  const def = schema.types[name]
  const text = describe(value)
  switch (name) {
    case 'Int':
      return value.kind === 'Int' && Math.abs(value.value) <= 2 ** 31 - 1 ? undefined : text
    case 'Float':
      return value.kind === 'Int' || value.kind === 'Float' ? undefined : text
    case 'Boolean':
      return value.kind === 'Boolean' ? undefined : text
    case 'String':
      return value.kind === 'String' ? undefined : text
    case 'ID':
      return value.kind === 'String' || value.kind === 'Int' ? undefined : text
  }
  if (def?.kind === 'enum')
    return value.kind === 'Enum' && def.values.includes(value.value) ? undefined : text
  if (def?.kind === 'scalar') return value.kind === 'String' ? undefined : text
  return text
}

function describe(value: ValueNode): string {
  switch (value.kind) {
    case 'String':
      return JSON.stringify(value.value)
    case 'Int':
    case 'Float':
    case 'Boolean':
    case 'Enum':
      return String(value.value)
    case 'Null':
      return 'null'
    case 'Variable':
      return `$${value.name}`
    case 'List':
      return `[${value.values.map(describe).join(', ')}]`
    case 'Object':
      return `{${value.fields.map(f => `${f.name}: ${describe(f.value)}`).join(', ')}}`
  }
}

/** Runtime check of a variable's JSON value against its declared type; returns the problem. */
function inputProblem<C>(run: Run<C>, value: unknown, type: TypeRef): string | undefined {
  if (type.kind === 'NonNull') {
    if (value === null || value === undefined) return 'Expected value to not be null'
    return inputProblem(run, value, type.of)
  }
  if (value === null || value === undefined) return undefined
  if (type.kind === 'List') {
    const items = Array.isArray(value) ? value : [value]
    for (const item of items) {
      const problem = inputProblem(run, item, type.of)
      if (problem) return problem
    }
    return undefined
  }
  const def = run.schema.types[type.name]
  const wrong = `Could not coerce value ${JSON.stringify(value)} to ${type.name}`
  switch (type.name) {
    case 'Int':
      return Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1 ? undefined : wrong
    case 'Float':
      return typeof value === 'number' ? undefined : wrong
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : wrong
    case 'String':
      return typeof value === 'string' ? undefined : wrong
    case 'ID':
      return typeof value === 'string' || Number.isInteger(value) ? undefined : wrong
  }
  if (def?.kind === 'enum')
    return typeof value === 'string' && def.values.includes(value) ? undefined : wrong
  if (def?.kind === 'scalar') return typeof value === 'string' ? undefined : wrong
  if (def?.kind === 'input') {
    if (typeof value !== 'object' || Array.isArray(value)) return wrong
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const fieldType = def.fields[key]
      if (fieldType === undefined) return `Field is not defined on ${type.name}: ${key}`
      const problem = inputProblem(run, record[key], typeOf(run, fieldType))
      if (problem) return `${key} (${problem})`
    }
    for (const [key, fieldType] of Object.entries(def.fields)) {
      if (fieldType.endsWith('!') && record[key] === undefined)
        return `Expected value to not be null: ${key}`
    }
    return undefined
  }
  return wrong
}

function valueOf<C>(run: Run<C>, node: ValueNode): unknown {
  switch (node.kind) {
    case 'Variable':
      return run.variables[node.name]
    case 'Null':
      return null
    case 'List':
      return node.values.map(v => valueOf(run, v))
    case 'Object':
      return Object.fromEntries(node.fields.map(f => [f.name, valueOf(run, f.value)]))
    default:
      return node.value
  }
}

function included<C>(run: Run<C>, directives: Directive[]): boolean {
  for (const directive of directives) {
    const arg = directive.args.find(a => a.name === 'if')
    const flag = arg ? Boolean(valueOf(run, arg.value)) : false
    if (directive.name === 'skip' && flag) return false
    if (directive.name === 'include' && !flag) return false
  }
  return true
}

/** Fields to run for a value of object type `objectType`, fragments flattened, keyed by response name. */
function collect<C>(
  run: Run<C>,
  selections: Selection[],
  objectType: string,
  into = new Map<string, FieldNode[]>()
): Map<string, FieldNode[]> {
  for (const selection of selections) {
    if (!included(run, selection.directives)) continue
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name
      into.set(key, [...(into.get(key) ?? []), selection])
    } else if (selection.kind === 'InlineFragment') {
      if (applies(run.schema, selection.typeCondition, objectType))
        collect(run, selection.selections, objectType, into)
    } else {
      const fragment = run.doc.fragments.get(selection.name)
      if (fragment && applies(run.schema, fragment.typeCondition, objectType)) {
        collect(run, fragment.selections, objectType, into)
      }
    }
  }
  return into
}

/** Thrown when a non-null field came out null: the nearest nullable parent becomes null. */
class NullBubble extends Error {}

function executeSelections<C>(
  run: Run<C>,
  selections: Selection[],
  objectType: string,
  parent: unknown,
  path: (string | number)[]
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const fields = fieldsOf(run.schema, objectType) ?? {}
  for (const [key, nodes] of collect(run, selections, objectType)) {
    const node = nodes[0]!
    if (node.name === '__typename') {
      out[key] = objectType
      continue
    }
    const def = fields[node.name]
    if (!def) continue
    const type = typeOf(run, def.type)
    const fieldPath = [...path, key]
    const subSelections = nodes.flatMap(n => n.selections ?? [])
    const args: Record<string, unknown> = {}
    for (const arg of node.args) args[arg.name] = valueOf(run, arg.value)
    let value: unknown
    try {
      value = def.resolve
        ? def.resolve(parent, args, run.ctx, { path: fieldPath, fieldName: node.name })
        : (parent as Record<string, unknown> | null)?.[node.name]
    } catch (error) {
      if (error instanceof NullBubble) throw error
      const message = error instanceof Error ? error.message : String(error)
      run.errors.push({
        ...(error instanceof FieldError && error.type ? { type: error.type } : {}),
        path: fieldPath,
        locations: [node.loc],
        message
      })
      value = null
    }
    try {
      out[key] = complete(run, type, value, subSelections, fieldPath)
    } catch (error) {
      if (!(error instanceof NullBubble)) throw error
      if (type.kind === 'NonNull') throw error
      out[key] = null
    }
  }
  return out
}

function complete<C>(
  run: Run<C>,
  type: TypeRef,
  value: unknown,
  selections: Selection[],
  path: (string | number)[]
): unknown {
  if (type.kind === 'NonNull') {
    const inner = complete(run, type.of, value, selections, path)
    if (inner === null || inner === undefined) throw new NullBubble()
    return inner
  }
  if (value === null || value === undefined) return null
  if (type.kind === 'List') {
    const items = Array.isArray(value) ? value : [value]
    return items.map((item, i) => {
      try {
        return complete(run, type.of, item, selections, [...path, i])
      } catch (error) {
        if (!(error instanceof NullBubble) || type.of.kind === 'NonNull') throw error
        return null
      }
    })
  }
  const def = run.schema.types[type.name]
  if (BUILTIN_SCALARS.includes(type.name)) {
    if (type.name === 'ID') return String(value)
    return value
  }
  if (def?.kind === 'scalar') return def.coerce ? def.coerce(value) : value
  if (def?.kind === 'enum') return value
  if (def?.kind === 'interface') {
    return executeSelections(run, selections, def.resolveType(value), value, path)
  }
  return executeSelections(run, selections, type.name, value, path)
}

export interface ExecuteRequest {
  query: string
  variables?: Record<string, unknown> | null
  operationName?: string | null
}

export interface Execution {
  result: GraphQLResult
  /** Errors that say the document does not fit the schema (GitHub would reject it as well). */
  validationErrors: GraphQLError[]
  operation?: OperationNode
}

export function execute<C>(schema: Schema<C>, request: ExecuteRequest, ctx: C): Execution {
  let doc: DocumentNode
  try {
    doc = parse(request.query)
  } catch (error) {
    if (!(error instanceof GraphQLSyntaxError)) throw error
    const errors = [{ message: error.message, locations: [error.loc] }]
    return { result: { errors }, validationErrors: errors }
  }
  const candidates = request.operationName
    ? doc.operations.filter(op => op.name === request.operationName)
    : doc.operations
  if (candidates.length !== 1) {
    const message =
      candidates.length === 0
        ? request.operationName
          ? `Unknown operation named "${request.operationName}".`
          : 'No operations in query document.'
        : 'An operation name is required'
    const errors = [{ message }]
    return { result: { errors }, validationErrors: errors }
  }
  const op = candidates[0]!
  const validationErrors = validate(schema, doc, op)
  if (validationErrors.length > 0)
    return { result: { errors: validationErrors }, validationErrors, operation: op }

  const run: Run<C> = { schema, doc, ctx, variables: {}, errors: [], typeCache: new Map() }
  const given = request.variables ?? {}
  const variableErrors: GraphQLError[] = []
  for (const variable of op.variables) {
    let value = given[variable.name]
    if (value === undefined && variable.defaultValue) value = valueOf(run, variable.defaultValue)
    const problem = inputProblem(run, value, variable.type)
    if (problem) {
      variableErrors.push({
        message: `Variable $${variable.name} of type ${show(variable.type)} was provided invalid value`,
        locations: [variable.loc],
        extensions: { value, problems: [{ path: [], explanation: problem }] }
      })
    }
    run.variables[variable.name] = value
  }
  if (variableErrors.length > 0) {
    return { result: { errors: variableErrors }, validationErrors: variableErrors, operation: op }
  }
  const root = op.operation === 'mutation' ? schema.mutation! : schema.query
  let data: Record<string, unknown> | null
  try {
    data = executeSelections(run, op.selections, root, null, [])
  } catch (error) {
    if (!(error instanceof NullBubble)) throw error
    data = null
  }
  const result: GraphQLResult = run.errors.length > 0 ? { data, errors: run.errors } : { data }
  return { result, validationErrors: [], operation: op }
}
