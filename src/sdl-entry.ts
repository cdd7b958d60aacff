// Loaded by GraphQL Code Generator (codegen.yml) from the compiled output.
import { buildAppSchema } from "./build-schema";

export const schema = buildAppSchema();
